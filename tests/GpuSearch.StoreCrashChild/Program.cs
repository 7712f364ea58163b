// Crash child: opens an index and adds items 0..total-1 that it does not already hold, in small
// random batches, printing "ADDED <id> <path>" for each only after Add has returned.
// In churn mode it also deletes every fifth item right after adding it ("DELETING" before the call,
// "DELETED" after) and compacts every fourth batch, so kills also land inside deletes and compactions.
// Usage: GpuSearch.StoreCrashChild <index-folder> <total> <seed> [append|churn]
// GPUSEARCH_CRASH_CHILD_PACE_MS=N sleeps N ms after each batch, so a killer polling a busy machine still
// lands mid-run (unpaced, 500 items can finish between two of its polls).
using System.Globalization;
using GpuSearch.Store;
using GpuSearch.StoreCrashChild;

if (args.Length is < 3 or > 4 || (args.Length == 4 && args[3] is not ("append" or "churn")))
{
    Console.Error.WriteLine("usage: GpuSearch.StoreCrashChild <index-folder> <total> <seed> [append|churn]");
    return 2;
}
string folder = args[0];
int total = int.Parse(args[1], CultureInfo.InvariantCulture);
var rng = new Random(int.Parse(args[2], CultureInfo.InvariantCulture));
bool churn = args.Length == 4 && args[3] == "churn";
var stdout = Console.Out;
int paceMs = int.TryParse(Environment.GetEnvironmentVariable("GPUSEARCH_CRASH_CHILD_PACE_MS"), CultureInfo.InvariantCulture, out var pace) ? pace : 0;

// The test creates the index first; creating it here when absent makes manual runs one command.
using var store = Directory.Exists(folder)
    ? IndexStore.Open(folder, ChildWorkload.Metadata.Fingerprint)
    : IndexStore.Create(folder, ChildWorkload.Metadata);
foreach (var line in store.RecoveryLog) stdout.Write($"RECOVERED {line}\n");
int next = 0, added = 0, batches = 0;
while (next < total)
{
    var batch = new List<(int N, ItemToAdd Item)>();
    int want = rng.Next(1, 6);
    while (batch.Count < want && next < total)
    {
        var path = ChildWorkload.PathOf(next);
        var hash = ChildWorkload.HashOf(path);
        if (!store.Contains(path, hash))
            batch.Add((next, new ItemToAdd(path, hash, next, ChildWorkload.VectorOf(path), $$"""{"n":{{next}}}""")));
        else if (churn && ChildWorkload.IsChurned(next) && store.Get(path) is { } pending)
        {
            // A kill between this item's add and its delete: finish the delete on resume.
            stdout.Write($"DELETING {pending.Id} {path}\n");
            store.Delete(pending.Id);
            stdout.Write($"DELETED {pending.Id} {path}\n");
        }
        next++;
    }
    if (batch.Count == 0) continue;
    var ids = store.Add(batch.Select(b => b.Item).ToList());
    // Reported only now: Add has returned, so these items must survive any kill from here on.
    for (int k = 0; k < ids.Length; k++) stdout.Write($"ADDED {ids[k]} {batch[k].Item.Path}\n");
    added += ids.Length;
    if (paceMs > 0) Thread.Sleep(paceMs);
    if (!churn) continue;
    for (int k = 0; k < ids.Length; k++)
    {
        if (!ChildWorkload.IsChurned(batch[k].N)) continue;
        stdout.Write($"DELETING {ids[k]} {batch[k].Item.Path}\n");
        if (!store.Delete(ids[k])) throw new InvalidOperationException($"delete of {ids[k]} found nothing");
        stdout.Write($"DELETED {ids[k]} {batch[k].Item.Path}\n");
    }
    if (++batches % 4 == 0)
    {
        var r = store.Compact();
        stdout.Write($"COMPACTED {r.SegmentsRewritten} {r.ItemsRemoved}\n");
    }
}
if (churn) store.Compact();
stdout.Write($"DONE {added}\n");
return 0;
