// Translates an MEVD filter (a LINQ expression over the record) into the engine's SearchFilter: equality, ranges,
// `Contains` for "in", bool properties, all joined by &&. Everything else (||, !=, negation of anything but a bool
// property, comparisons between two properties, the key or the vector) is refused with a NotSupportedException that
// names the construct, because a silently widened filter would return records the caller excluded.
using System.Collections;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace GpuSearch.VectorData;

/// <summary>A translated filter: the conditions, or <see cref="MatchesNothing"/> (an empty "in" list); null Filter = everything.</summary>
internal sealed record TranslatedFilter(SearchFilter? Filter, bool MatchesNothing)
{
    public static readonly TranslatedFilter All = new(null, false);
}

internal static class FilterTranslator
{
    public static TranslatedFilter Translate(LambdaExpression? filter, CollectionModel model)
    {
        if (filter is null) return TranslatedFilter.All;
        var conditions = new List<FilterCondition>();
        bool nothing = false;
        Visit(filter.Body, filter.Parameters[0], model, conditions, ref nothing);
        if (nothing) return new TranslatedFilter(null, true);
        if (conditions.Count > FilterCondition.MaxConditions)
            throw new NotSupportedException($"the filter has {conditions.Count} conditions; GpuSearch filters hold at most {FilterCondition.MaxConditions}");
        return conditions.Count == 0 ? TranslatedFilter.All : new TranslatedFilter(new SearchFilter(conditions), false);
    }

    private static void Visit(Expression e, ParameterExpression record, CollectionModel model, List<FilterCondition> into, ref bool nothing)
    {
        switch (e)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso or ExpressionType.And } both when both.Type == typeof(bool):
                Visit(both.Left, record, model, into, ref nothing);
                Visit(both.Right, record, model, into, ref nothing);
                return;
            case ConstantExpression { Value: true }:
                return;
            case MemberExpression when BoundField(e, record, model) is { } flag && flag.Type == typeof(bool):
                into.Add(new EqualsCondition(flag.Name, true));
                return;
            case UnaryExpression { NodeType: ExpressionType.Not } not when BoundField(not.Operand, record, model) is { } flag && flag.Type == typeof(bool):
                into.Add(new EqualsCondition(flag.Name, false));
                return;
            case BinaryExpression b when b.NodeType is ExpressionType.Equal or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual
                or ExpressionType.LessThan or ExpressionType.LessThanOrEqual:
                into.Add(Comparison(b, record, model));
                return;
            case MethodCallExpression call when call.Method.Name == "Contains":
                if (In(call, record, model) is { } cond) into.Add(cond);
                else nothing = true;
                return;
        }
        throw new NotSupportedException($"GpuSearch filters cannot translate {Describe(e)} ('{e}'); use ==, <, <=, >, >=, Contains (for 'in') and bool properties joined by &&");
    }

    private static string Describe(Expression e) => e.NodeType switch
    {
        ExpressionType.OrElse or ExpressionType.Or => "'||' (OR)",
        ExpressionType.NotEqual => "'!=' (NotEqual)",
        ExpressionType.Not => "'!' (Not) of an expression other than a bool property",
        ExpressionType.Call => $"the method call {((MethodCallExpression)e).Method.DeclaringType?.Name}.{((MethodCallExpression)e).Method.Name}",
        _ => $"a {e.NodeType} expression",
    };

    private static FilterCondition Comparison(BinaryExpression b, ParameterExpression record, CollectionModel model)
    {
        var op = b.NodeType;
        var left = BoundField(b.Left, record, model);
        var right = BoundField(b.Right, record, model);
        if (left is not null && right is not null) throw new NotSupportedException($"GpuSearch filters cannot compare two properties ('{b}')");
        if (left is null && right is null) throw new NotSupportedException($"the comparison '{b}' does not use a data property of the record");
        var (field, valueExpr) = left is not null ? (left, b.Right) : (right!, b.Left);
        if (left is null) op = Mirror(op); // 5 < r.X  ==  r.X > 5
        var value = Evaluate(valueExpr, record) ?? throw new NotSupportedException($"GpuSearch filters cannot compare with null ('{b}')");
        if (op == ExpressionType.Equal) return new EqualsCondition(field.Name, Scalar(value, b));
        double bound = Number(value, b);
        return op switch
        {
            ExpressionType.GreaterThanOrEqual => new RangeCondition(field.Name, bound, null),
            ExpressionType.LessThanOrEqual => new RangeCondition(field.Name, null, bound),
            // Strict bounds as the next double: the catalog compares the stored numbers as doubles, so this is exact.
            ExpressionType.GreaterThan => new RangeCondition(field.Name, Math.BitIncrement(bound), null),
            _ => new RangeCondition(field.Name, null, Math.BitDecrement(bound)),
        };
    }

    private static ExpressionType Mirror(ExpressionType op) => op switch
    {
        ExpressionType.GreaterThan => ExpressionType.LessThan,
        ExpressionType.GreaterThanOrEqual => ExpressionType.LessThanOrEqual,
        ExpressionType.LessThan => ExpressionType.GreaterThan,
        ExpressionType.LessThanOrEqual => ExpressionType.GreaterThanOrEqual,
        _ => op,
    };

    /// <summary>values.Contains(r.Field): Enumerable.Contains, an instance Contains (List, HashSet) or C# 14's span Contains.</summary>
    private static InCondition? In(MethodCallExpression call, ParameterExpression record, CollectionModel model)
    {
        Expression source, item;
        if (call.Object is null && call.Arguments.Count == 2) (source, item) = (call.Arguments[0], call.Arguments[1]);
        else if (call.Object is not null && call.Arguments.Count == 1) (source, item) = (call.Object, call.Arguments[0]);
        else throw new NotSupportedException($"GpuSearch filters cannot translate the call '{call}'");
        source = UnwrapSpan(source);
        if (BoundField(source, record, model) is { } tags)
            throw new NotSupportedException($"GpuSearch filters cannot test membership in the list property '{tags.Name}' ('{call}')");
        var field = BoundField(item, record, model) ?? throw new NotSupportedException($"'{call}' does not test a data property of the record");
        if (Evaluate(source, record) is not IEnumerable values || values is string)
            throw new NotSupportedException($"GpuSearch filters need a list of values in '{call}'");
        var list = values.Cast<object?>().Select(v => v is null ? throw new NotSupportedException($"GpuSearch filters cannot match null in '{call}'") : Scalar(v, call)).Distinct().ToArray();
        if (list.Length > FilterCondition.MaxInValues) throw new NotSupportedException($"'{call}' lists {list.Length} values; at most {FilterCondition.MaxInValues} are allowed");
        return list.Length == 0 ? null : new InCondition(field.Name, list);
    }

    /// <summary>C# 14 binds array.Contains(x) to MemoryExtensions.Contains(ReadOnlySpan): take the array behind the implicit conversion.</summary>
    private static Expression UnwrapSpan(Expression source) => source switch
    {
        MethodCallExpression { Method.Name: "op_Implicit", Arguments: [var inner] } when IsSpan(source.Type) => inner,
        UnaryExpression { NodeType: ExpressionType.Convert } u when IsSpan(u.Type) => u.Operand,
        _ => source,
    };

    private static bool IsSpan(Type t) => t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(ReadOnlySpan<>) || t.GetGenericTypeDefinition() == typeof(Span<>));

    private sealed record Field(string Name, Type Type);

    /// <summary>The data property an expression reads (through conversions), or null when it does not read the record.</summary>
    private static Field? BoundField(Expression e, ParameterExpression record, CollectionModel model)
    {
        while (e is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } u) e = u.Operand;
        if (e is MemberExpression { Member: PropertyInfo p } m && m.Expression == record)
        {
            if (!model.PropertyMap.TryGetValue(p.Name, out var prop)) throw new NotSupportedException($"property '{p.Name}' is not mapped to the store, so a filter cannot use it");
            if (prop is not DataPropertyModel) throw new NotSupportedException($"GpuSearch filters apply to data properties only, not to the {(prop is KeyPropertyModel ? "key" : "vector")} property '{p.Name}'");
            return new Field(prop.StorageName, Nullable.GetUnderlyingType(prop.Type) ?? prop.Type);
        }
        return null;
    }

    /// <summary>Evaluates a part of the filter that does not read the record (a constant, a captured variable).</summary>
    private static object? Evaluate(Expression e, ParameterExpression record)
    {
        if (e is ConstantExpression c) return c.Value;
        if (new ParameterFinder(record).Finds(e)) throw new NotSupportedException($"GpuSearch filters cannot translate '{e}': it computes with the record");
        return Expression.Lambda(Expression.Convert(e, typeof(object))).Compile().DynamicInvoke();
    }

    private static object Scalar(object value, Expression where) => value switch
    {
        string or bool => value,
        Enum => throw new NotSupportedException($"GpuSearch filters do not translate enum values ('{where}')"),
        IConvertible when value is not (char or DateTime) => Number(value, where),
        _ => throw new NotSupportedException($"GpuSearch filters compare strings, bools and numbers, not {value.GetType().Name} ('{where}')"),
    };

    private static double Number(object value, Expression where) => value switch
    {
        double d when double.IsFinite(d) => d,
        float f when float.IsFinite(f) => f,
        int or long or short or byte or sbyte or uint or ulong or ushort or decimal => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException($"GpuSearch range filters need a finite number, got {value} ({value.GetType().Name}) in '{where}'"),
    };

    private sealed class ParameterFinder(ParameterExpression p) : ExpressionVisitor
    {
        private bool _found;
        public bool Finds(Expression e) { Visit(e); return _found; }
        protected override Expression VisitParameter(ParameterExpression node) { _found |= node == p; return node; }
    }
}
