// Caller keys and metadata in the store: an index of catalog format 1 upgraded on open keeps everything; keyed
// upserts replace; delete by key; metadata filters return exactly the ids a plain host evaluation picks; bad
// keys and metadata are refused with a clear message.
using System.Globalization;
using System.Text.Json;
using GpuSearch.Store;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Tests.Store;

public sealed class IndexStoreKeysTests : StoreTestBase
{
    private string CatalogPath => Path.Combine(IndexDir, "catalog.sqlite");

    /// <summary>Rewrites a fresh catalog into the format-1 schema exactly as the pre-key code created it.</summary>
    private void DowngradeToFormat1()
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = CatalogPath, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            DROP INDEX items_live_key; DROP INDEX items_live_path;
            ALTER TABLE items DROP COLUMN key;
            CREATE UNIQUE INDEX items_live_path ON items(path) WHERE deleted = 0;
            UPDATE meta SET value='1' WHERE key='format_version';
            """;
        cmd.ExecuteNonQuery();
    }

    private string Scalar(string sql)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = CatalogPath, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture)!;
    }

    private static (StoredItem[] Items, float[][] Vectors) Snapshot(IndexStore s) =>
        (s.List(0, 1000).ToArray(), s.ReadLive().SelectMany(b => Enumerable.Range(0, b.Count).Select(i => b.ToFloat32().AsSpan(i * b.Dim, b.Dim).ToArray())).ToArray());

    [Fact]
    public void Format1IndexIsUpgradedOnOpenAndKeepsEverything()
    {
        (StoredItem[] Items, float[][] Vectors) before;
        using (var s = IndexStore.Create(IndexDir, Meta()))
        {
            s.Add(Enumerable.Range(0, 10).Select(i => Item(i, labels: $$"""{"n": {{i}}}""")).ToList());
            s.Delete(3);
            before = Snapshot(s);
        }
        DowngradeToFormat1();
        Assert.Equal("1", Scalar("SELECT value FROM meta WHERE key='format_version'"));
        Assert.Equal("0", Scalar("SELECT COUNT(*) FROM pragma_table_info('items') WHERE name='key'"));

        // Read-only: nothing is changed, items read with no key, key lookups find nothing.
        using (var ro = IndexStore.OpenReadOnly(IndexDir))
        {
            var snap = Snapshot(ro);
            Assert.Equal(before.Items, snap.Items);
            Assert.All(snap.Items, i => Assert.Null(i.Key));
            Assert.Null(ro.GetByKey("k"));
            Assert.Equal([1L, 2L], ro.FilterIds(new SearchFilter(new RangeCondition("n", 0, 1))));
        }
        Assert.Equal("1", Scalar("SELECT value FROM meta WHERE key='format_version'"));

        using (var s = IndexStore.Open(IndexDir))
        {
            var after = Snapshot(s);
            Assert.Equal(before.Items, after.Items);
            Assert.Equal(before.Vectors, after.Vectors);
            Assert.Equal(9, s.Count);
            Assert.True(s.Get(3)!.Deleted); // the tombstone is still there too
            Assert.Empty(s.RecoveryLog);
            long keyed = s.Add(Item(0, labels: """{"n": 99}""") with { Key = "SKU-1" }); // same path as a path item: allowed
            Assert.Equal("SKU-1", s.GetByKey("SKU-1")!.Key);
            Assert.Equal(1L, s.Get("img/0000.jpg")!.Id);
            Assert.Equal(11, keyed);
        }
        Assert.Equal("2", Scalar("SELECT value FROM meta WHERE key='format_version'"));
        Assert.Equal("10", Scalar("SELECT COUNT(*) FROM items WHERE deleted=0"));
    }

    [Fact]
    public void UpsertReplacesVectorAndMetadataAndDeleteByKeyRemoves()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        long first = s.Add(Item(1, labels: """{"color": "red"}""") with { Key = "A" });
        long other = s.Add(Item(2) with { Key = "B" });
        long second = s.Add(Item(5, labels: """{"color": "blue"}""") with { Key = "A" });
        Assert.NotEqual(first, second);
        var now = s.GetByKey("A")!;
        Assert.Equal(second, now.Id);
        Assert.Equal("""{"color": "blue"}""", now.LabelsJson);
        Assert.True(s.Get(first)!.Deleted);
        Assert.Equal(2, s.Count);
        Assert.Equal(Vec(5), s.GetVector(second));
        // The same image again under the same key still replaces (the metadata may be all that changed).
        long third = s.Add(Item(5, labels: """{"color": "green"}""") with { Key = "A" });
        Assert.NotEqual(second, third);
        Assert.Equal(2, s.Count);

        Assert.True(s.DeleteByKey("A"));
        Assert.False(s.DeleteByKey("A"));
        Assert.Null(s.GetByKey("A"));
        Assert.Equal(other, s.GetByKey("B")!.Id);
        Assert.Equal(1, s.Count);
        Assert.Throws<ArgumentException>(() => s.Add([Item(7) with { Key = "C" }, Item(8) with { Key = "C" }]));
    }

    [Fact]
    public void PruneLeavesKeyedItemsWhoseFileIsGone()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        var gone = Path.Combine(Root, "gone.jpg");
        long plain = s.Add(Item(1) with { Path = gone });
        long keyed = s.Add(Item(1) with { Path = gone, Key = "SKU-1" });
        Assert.Equal([plain], s.PruneMissing(dryRun: false).Select(m => m.Id));
        Assert.Equal(keyed, s.GetByKey("SKU-1")!.Id);
        Assert.Equal(1, s.Count);
    }

    [Theory]
    [InlineData("add:rows-written", false)]
    [InlineData("COMMIT", false)]
    [InlineData("add:committed", true)]
    public void AnInterruptedUpsertLeavesTheOldOrTheNewItemUnderTheKeyNeverNone(string point, bool newWins)
    {
        long oldId;
        using (var s = IndexStore.Create(IndexDir, Meta()))
        {
            oldId = s.Add(Item(1, labels: """{"v": 1}""") with { Key = "A" });
            if (point == "COMMIT") s.CatalogForTests.BeforeStatement = sql => { if (sql == "COMMIT") throw new IOException("simulated crash at commit"); };
            else s.FaultPoint = p => { if (p == point) throw new IOException("simulated crash at " + p); };
            Assert.Throws<IOException>(() => s.Add(Item(2, labels: """{"v": 2}""") with { Key = "A" }));
            s.CatalogForTests.BeforeStatement = null;
            s.FaultPoint = null;
        }
        using var reopened = IndexStore.Open(IndexDir);
        var live = reopened.GetByKey("A")!;
        Assert.Equal(1, reopened.Count);
        Assert.Equal(newWins ? """{"v": 2}""" : """{"v": 1}""", live.LabelsJson);
        Assert.Equal(newWins, live.Id != oldId);
        Assert.Equal(newWins ? Vec(2) : Vec(1), reopened.GetVector(live.Id));
    }

    [Theory]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("{\"a\": ", "not valid JSON")]
    [InlineData("{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}", "not valid JSON")]
    public void BadMetadataIsRefusedNamingTheKey(string json, string expected)
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        var e = Assert.Throws<ArgumentException>(() => s.Add(Item(1, labels: json) with { Key = "SKU-9" }));
        Assert.Contains(expected, e.Message);
        Assert.Contains("SKU-9", e.Message);
        Assert.Equal(0, s.Count);
    }

    [Fact]
    public void OversizedMetadataAndBadKeysAreRefused()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        var big = "{\"a\": \"" + new string('x', ItemKeys.MaxMetadataChars) + "\"}";
        Assert.Contains("at most", Assert.Throws<ArgumentException>(() => s.Add(Item(1, labels: big) with { Key = "k" })).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => s.Add(Item(1) with { Key = "" })).Message);
        Assert.Contains("256", Assert.Throws<ArgumentException>(() => s.Add(Item(1) with { Key = new string('k', 257) })).Message);
        Assert.Contains("control", Assert.Throws<ArgumentException>(() => s.Add(Item(1) with { Key = "a\nb" })).Message);
        Assert.Equal(0, s.Count);
    }

    [Fact]
    public void FiltersReturnExactlyWhatAHostEvaluationPicks()
    {
        var rng = new Random(13);
        string[] colors = ["red", "green", "blue"];
        using var s = IndexStore.Create(IndexDir, Meta(capacity: 64));
        for (int i = 0; i < 200; i++)
        {
            var fields = new Dictionary<string, object?>();
            if (rng.Next(10) > 0) fields["color"] = colors[rng.Next(3)];
            if (rng.Next(10) > 0) fields["size"] = rng.Next(5);
            if (rng.Next(10) > 0) fields["price"] = Math.Round(rng.NextDouble() * 100, 2);
            if (rng.Next(4) == 0) fields["size"] = "3"; // a string that looks like a number must not match 3
            if (rng.Next(5) == 0) fields["new"] = rng.Next(2) == 0;
            var json = JsonSerializer.Serialize(fields);
            s.Add(Item(i, labels: rng.Next(20) == 0 ? null : json) with { Key = $"k{i}" });
            if (rng.Next(20) == 0) s.DeleteByKey($"k{i}"); // deleted items never pass a filter
        }
        var live = s.List(0, 1000).ToDictionary(i => i.Id, i => i.LabelsJson is null ? (JsonElement?)null : JsonDocument.Parse(i.LabelsJson).RootElement);

        SearchFilter[] filters =
        [
            new(new EqualsCondition("color", "red")),
            new(new EqualsCondition("size", 3)),
            new(new EqualsCondition("size", "3")),
            new(new EqualsCondition("new", true)),
            new(new InCondition("color", ["red", "blue"])),
            new(new InCondition("size", [0, 4, "3"])),
            new(new RangeCondition("price", 10.5, 40)),
            new(new RangeCondition("price", null, 20)),
            new(new RangeCondition("size", 2, null)),
            new(new EqualsCondition("color", "green"), new RangeCondition("price", 50, 100), new InCondition("size", [1, 2, 3])),
            new(new EqualsCondition("missing", "x")),
            SearchFilter.Parse("""{"color": "blue", "size": {"in": [1, 2]}, "price": {"gte": 5, "lte": 80}}"""),
        ];
        foreach (var f in filters)
        {
            var expected = live.Where(kv => kv.Value is { } m && f.Conditions.All(c => Holds(m, c))).Select(kv => kv.Key).Order().ToArray();
            Assert.Equal(expected, s.FilterIds(f));
        }
        Assert.NotEmpty(s.FilterIds(filters[0])); // the data does exercise the filters
    }

    /// <summary>The filter semantics written plainly over System.Text.Json, independent of the SQL.</summary>
    private static bool Holds(JsonElement m, FilterCondition c)
    {
        if (!m.TryGetProperty(c.Field, out var v)) return false;
        bool Eq(object want) => want switch
        {
            string s => v.ValueKind == JsonValueKind.String && v.GetString() == s,
            bool b => v.ValueKind == (b ? JsonValueKind.True : JsonValueKind.False),
            double d => v.ValueKind == JsonValueKind.Number && v.GetDouble() == d,
            _ => false,
        };
        return c switch
        {
            EqualsCondition e => Eq(e.Value),
            InCondition i => i.Values.Any(Eq),
            RangeCondition r => v.ValueKind == JsonValueKind.Number && (r.Min is not { } lo || v.GetDouble() >= lo) && (r.Max is not { } hi || v.GetDouble() <= hi),
            _ => false,
        };
    }

    [Theory]
    [InlineData("[1]", "must be a JSON object")]
    [InlineData("""{"a": null}""", "'a'")]
    [InlineData("""{"a": {"gt": 1}}""", "'a'")]
    [InlineData("""{"a": {"in": 3}}""", "must be an array")]
    [InlineData("""{"a b": 1}""", "'a b'")]
    [InlineData("""{}""", "1 to 32 conditions")]
    public void BadFiltersAreRefusedNamingTheField(string json, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => SearchFilter.Parse(json)).Message);
}
