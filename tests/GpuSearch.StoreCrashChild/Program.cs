// Crash child: opens an existing index and adds items 0..total-1 that it does not already hold, in
// small random batches, printing "ADDED <id> <path>" for each item only after Add has returned.
// Usage: GpuSearch.StoreCrashChild <index-folder> <total> <seed>
using System.Globalization;
using GpuSearch.Store;
using GpuSearch.StoreCrashChild;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: GpuSearch.StoreCrashChild <index-folder> <total> <seed>");
    return 2;
}
string folder = args[0];
int total = int.Parse(args[1], CultureInfo.InvariantCulture);
var rng = new Random(int.Parse(args[2], CultureInfo.InvariantCulture));
var stdout = Console.Out;

// The test creates the index first; creating it here when absent makes manual runs one command.
using var store = Directory.Exists(folder)
    ? IndexStore.Open(folder, ChildWorkload.Metadata.Fingerprint)
    : IndexStore.Create(folder, ChildWorkload.Metadata);
foreach (var line in store.RecoveryLog) stdout.Write($"RECOVERED {line}\n");
int next = 0, added = 0;
while (next < total)
{
    var batch = new List<ItemToAdd>();
    int want = rng.Next(1, 6);
    while (batch.Count < want && next < total)
    {
        var path = ChildWorkload.PathOf(next);
        var hash = ChildWorkload.HashOf(path);
        if (!store.Contains(path, hash))
            batch.Add(new ItemToAdd(path, hash, next, ChildWorkload.VectorOf(path), $$"""{"n":{{next}}}"""));
        next++;
    }
    if (batch.Count == 0) continue;
    var ids = store.Add(batch);
    // Reported only now: Add has returned, so these items must survive any kill from here on.
    for (int k = 0; k < ids.Length; k++) stdout.Write($"ADDED {ids[k]} {batch[k].Path}\n");
    stdout.Flush();
    added += ids.Length;
}
stdout.Write($"DONE {added}\n");
stdout.Flush();
return 0;
