// The result of IndexStore.Verify: what is wrong, which items it affects, and how to recover.
using System.Text;

namespace GpuSearch.Store;

/// <summary>How serious a finding is.</summary>
internal enum VerifySeverity
{
    /// <summary>Harmless (e.g. leftovers the next open cleans up).</summary>
    Info,
    /// <summary>Data is damaged or inconsistent.</summary>
    Error,
}

/// <summary>One finding.</summary>
/// <param name="Severity">Info or Error.</param>
/// <param name="Subject">What it concerns: <c>catalog</c> or a segment file name.</param>
/// <param name="Problem">What is wrong.</param>
/// <param name="Recovery">What can be recovered and how.</param>
/// <param name="AffectedIds">Live items whose vectors are lost or unverified.</param>
/// <param name="AffectedPaths">Their paths (re-embed these to recover).</param>
internal sealed record VerifyIssue(VerifySeverity Severity, string Subject, string Problem, string Recovery,
    IReadOnlyList<long> AffectedIds, IReadOnlyList<string> AffectedPaths);

/// <summary>Everything Verify found.</summary>
/// <param name="Folder">The index folder.</param>
/// <param name="Issues">Findings, errors and infos.</param>
/// <param name="LiveItems">Live items in the catalog (-1 when the catalog cannot be read).</param>
/// <param name="SegmentsChecked">Segments examined.</param>
internal sealed record VerifyReport(string Folder, IReadOnlyList<VerifyIssue> Issues, long LiveItems, int SegmentsChecked)
{
    /// <summary>True when no finding is an error.</summary>
    public bool IsHealthy => Issues.All(i => i.Severity != VerifySeverity.Error);

    /// <summary>Live items whose vectors are damaged (distinct).</summary>
    public long DamagedItems => Issues.SelectMany(i => i.AffectedIds).Distinct().LongCount();

    /// <summary>Live items whose vectors are intact.</summary>
    public long RecoverableItems => LiveItems < 0 ? 0 : LiveItems - DamagedItems;

    /// <summary>Human-readable report.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"index {Folder}: {(IsHealthy ? "healthy" : "DAMAGED")}; {SegmentsChecked} segments checked, " +
            $"{(LiveItems < 0 ? "catalog unreadable" : $"{LiveItems} live items, {RecoverableItems} intact, {DamagedItems} damaged")}");
        foreach (var i in Issues)
        {
            sb.AppendLine($"  [{i.Severity}] {i.Subject}: {i.Problem}");
            sb.AppendLine($"      recovery: {i.Recovery}");
            if (i.AffectedPaths.Count > 0)
                sb.AppendLine($"      affected: {string.Join(", ", i.AffectedPaths.Take(10))}{(i.AffectedPaths.Count > 10 ? $" ... ({i.AffectedPaths.Count} in all)" : "")}");
        }
        return sb.ToString();
    }
}
