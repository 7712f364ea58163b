// THE op table. Every op family is one file in this folder implementing IOpFamily; the registry finds them
// by reflection, so adding an op is one file (plus its kernel and a test case) and nothing else to edit.
// Two families defining the same op type is a programming error caught the first time the table is built.
namespace GpuSearch.Models.Registry;

/// <summary>A group of related ops defined together (shared checks, shape rules or kernels).</summary>
internal interface IOpFamily
{
    /// <summary>The definitions of this family's ops.</summary>
    IEnumerable<OpDefinition> Ops();
}

/// <summary>Every op the engine knows, by op type.</summary>
internal static class OpRegistry
{
    private static readonly Lazy<IReadOnlyDictionary<string, OpDefinition>> Table = new(Build);

    /// <summary>All definitions by op type (supported or shape-only).</summary>
    public static IReadOnlyDictionary<string, OpDefinition> All => Table.Value;

    /// <summary>The definition of <paramref name="opType"/>, or null when the engine does not know it.</summary>
    public static OpDefinition? Find(string opType) => Table.Value.GetValueOrDefault(opType);

    /// <summary>True when the validator accepts <paramref name="opType"/> (the executor has a lowering for it).</summary>
    public static bool IsSupported(string opType) => Find(opType)?.IsSupported == true;

    /// <summary>The op types the validator accepts, sorted.</summary>
    public static IReadOnlyList<string> SupportedOps => Table.Value.Values.Where(d => d.IsSupported).Select(d => d.OpType).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The families, in a stable order (by type name).</summary>
    internal static IReadOnlyList<IOpFamily> Families() =>
        typeof(OpRegistry).Assembly.GetTypes()
            .Where(t => typeof(IOpFamily).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IOpFamily)Activator.CreateInstance(t, nonPublic: true)!)
            .ToArray();

    private static IReadOnlyDictionary<string, OpDefinition> Build()
    {
        var d = new Dictionary<string, OpDefinition>(StringComparer.Ordinal);
        foreach (var family in Families())
            foreach (var op in family.Ops())
                if (!d.TryAdd(op.OpType, op))
                    throw new InvalidOperationException($"op {op.OpType} is defined twice (second time in {family.GetType().Name})");
        return d;
    }
}
