// Record filters (LINQ over the record class) as the engine's SearchFilter: each supported construct, captured
// variables, C# 14's span-bound Contains, strict bounds, and a NotSupportedException naming each construct the
// engine cannot evaluate. No device: the model is built from the record class alone.
// MEVD9001: the model builder is the provider-only (experimental) API the adapter itself builds on.
#pragma warning disable MEVD9001
using System.Linq.Expressions;
using GpuSearch.VectorData;
using Microsoft.Extensions.VectorData;

namespace GpuSearch.Tests.VectorData;

public sealed class FilterTranslatorTests
{
    internal sealed class Product
    {
        [VectorStoreKey] public string Sku { get; set; } = "";
        [VectorStoreData(IsIndexed = true)] public string Color { get; set; } = "";
        [VectorStoreData(StorageName = "price_eur")] public double Price { get; set; }
        [VectorStoreData] public int Stock { get; set; }
        [VectorStoreData] public bool InStock { get; set; }
        [VectorStoreData] public string[] Tags { get; set; } = [];
        [VectorStoreData] public DateTimeOffset Added { get; set; }
        [VectorStoreVector(4)] public ReadOnlyMemory<float> Embedding { get; set; }
        public string NotMapped { get; set; } = "";
    }

    private static readonly Microsoft.Extensions.VectorData.ProviderServices.CollectionModel Model =
        new GpuSearchModelBuilder().Build(typeof(Product), typeof(string), null, null);

    private static TranslatedFilter Translate(Expression<Func<Product, bool>> filter) => FilterTranslator.Translate(filter, Model);

    private static IReadOnlyList<FilterCondition> Conditions(Expression<Func<Product, bool>> filter) => Translate(filter).Filter!.Conditions;

    [Fact]
    public void EqualityRangesAndBoolsJoinedByAnd()
    {
        var c = Conditions(r => r.Color == "red" && r.Price >= 2.5 && r.Stock <= 10 && r.InStock);
        Assert.Equal(new EqualsCondition("Color", "red"), c[0]);
        // The storage name, not the property name, is the metadata field.
        Assert.Equal((2.5, (double?)null), (((RangeCondition)c[1]).Min, ((RangeCondition)c[1]).Max));
        Assert.Equal("price_eur", c[1].Field);
        Assert.Equal((null, 10.0), (((RangeCondition)c[2]).Min, ((RangeCondition)c[2]).Max));
        Assert.Equal(new EqualsCondition("InStock", true), c[3]);
        Assert.Equal(new EqualsCondition("InStock", false), Conditions(r => !r.InStock).Single());
        Assert.Null(Translate(r => true).Filter);
    }

    [Fact]
    public void ConstantOnTheLeftAndStrictBoundsAreExact()
    {
        var gt = (RangeCondition)Conditions(r => 3 < r.Stock).Single();
        Assert.Equal(Math.BitIncrement(3.0), gt.Min);
        Assert.Null(gt.Max);
        var lt = (RangeCondition)Conditions(r => r.Price < 9.99).Single();
        Assert.Equal(Math.BitDecrement(9.99), lt.Max);
        Assert.True(lt.Max < 9.99);
    }

    [Fact]
    public void CapturedValuesAndContainsBecomeIn()
    {
        var color = "blue";
        string[] colors = ["red", "green", "red"];
        var sizes = new List<int> { 1, 2 };
        var c = Conditions(r => r.Color == color && colors.Contains(r.Color) && sizes.Contains(r.Stock) && Enumerable.Contains(new[] { 5.0 }, r.Price));
        Assert.Equal(new EqualsCondition("Color", "blue"), c[0]);
        Assert.Equal(["red", "green"], ((InCondition)c[1]).Values); // duplicates dropped
        Assert.Equal([1.0, 2.0], ((InCondition)c[2]).Values);
        Assert.Equal([5.0], ((InCondition)c[3]).Values);
        // An empty list allows nothing: the search is not run and returns no record.
        string[] none = [];
        Assert.True(Translate(r => none.Contains(r.Color)).MatchesNothing);
    }

    [Theory]
    [InlineData("or")]
    [InlineData("not-equal")]
    [InlineData("not")]
    [InlineData("two-properties")]
    [InlineData("method")]
    [InlineData("key")]
    [InlineData("tags")]
    [InlineData("date")]
    [InlineData("null")]
    [InlineData("unmapped")]
    public void UntranslatableFiltersAreRefusedNamingTheConstruct(string which)
    {
        (Expression<Func<Product, bool>> filter, string named) = which switch
        {
            "or" => ((Expression<Func<Product, bool>>)(r => r.Color == "red" || r.Stock > 1), "'||'"),
            "not-equal" => (r => r.Color != "red", "'!='"),
            "not" => (r => !(r.Color == "red"), "'!'"),
            "two-properties" => (r => r.Stock == r.Price, "two properties"),
            "method" => (r => r.Color.StartsWith("r"), "StartsWith"),
            "key" => (r => r.Sku == "A1", "key property 'Sku'"),
            "tags" => (r => r.Tags.Contains("new"), "list property 'Tags'"),
            "date" => (r => r.Added == DateTimeOffset.UnixEpoch, "DateTimeOffset"),
            "null" => (r => r.Color == null!, "null"),
            _ => (r => r.NotMapped == "x", "'NotMapped' is not mapped"),
        };
        var e = Assert.Throws<NotSupportedException>(() => Translate(filter));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void OtherDistanceFunctionsAndKeyTypesAreRefusedAtModelBuild()
    {
        Assert.Contains("CosineSimilarity", Assert.Throws<NotSupportedException>(() => new GpuSearchModelBuilder().Build(typeof(Euclidean), typeof(string), null, null)).Message);
        Assert.Contains("string, long, int or Guid", Assert.Throws<NotSupportedException>(() => new GpuSearchModelBuilder().Build(typeof(ByteKey), typeof(byte), null, null)).Message);
    }

    internal sealed class Euclidean
    {
        [VectorStoreKey] public string Id { get; set; } = "";
        [VectorStoreVector(4, DistanceFunction = DistanceFunction.EuclideanDistance)] public float[] V { get; set; } = [];
    }

    internal sealed class ByteKey
    {
        [VectorStoreKey] public byte Id { get; set; }
        [VectorStoreVector(4)] public float[] V { get; set; } = [];
    }
}
