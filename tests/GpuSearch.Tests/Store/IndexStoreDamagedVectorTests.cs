// Damaged vectors are refused when read, with the file and rows named, instead of giving silently wrong
// results: bit flips and swapped rows fail their chunk's SHA-256, NaN rows are refused even when their
// checksum was forged to match, item rows outside their segment are refused, and Add never stores NaN.
using System.Security.Cryptography;
using GpuSearch.Store;
using Microsoft.Data.Sqlite;

namespace GpuSearch.Tests.Store;

public class IndexStoreDamagedVectorTests : StoreTestBase
{
    private const int RowBytes = Dim * 4;

    /// <summary>40 items, capacity 16 (two sealed segments and an open one), added 4 at a time: 4-row chunks.</summary>
    private long[] Build()
    {
        using var s = IndexStore.Create(IndexDir, Meta(capacity: 16));
        var ids = new List<long>();
        for (int i = 0; i < 40; i += 4) ids.AddRange(s.Add(Items(i, 4)));
        return ids.ToArray();
    }

    private void Sql(string sql)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(IndexDir, "catalog.sqlite")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        Assert.True(cmd.ExecuteNonQuery() > 0, sql);
    }

    private static void AssertRefusedByEveryOpen(string dir, params string[] expected)
    {
        foreach (var open in new Func<IndexStore>[] { () => IndexStore.OpenReadOnly(dir), () => IndexStore.Open(dir) })
        {
            var ex = Assert.ThrowsAny<StoreCorruptException>(() => { using var s = open(); s.ReadAll(); });
            foreach (var e in expected) Assert.Contains(e, ex.Message);
        }
    }

    [Fact]
    public void Bit_flips_are_refused_naming_the_file_and_chunk()
    {
        Build();
        var seg = SegmentPath("seg-000002.npy");
        var bytes = File.ReadAllBytes(seg);
        var rng = new Random(12);
        for (int i = 0; i < 2000; i++) bytes[128 + 4 * RowBytes + rng.Next(4 * RowBytes)] ^= (byte)(1 << rng.Next(8)); // rows 4..7 only
        File.WriteAllBytes(seg, bytes);
        AssertRefusedByEveryOpen(IndexDir, "seg-000002.npy", "rows 4..7", "SHA-256");
        Assert.Equal(bytes, File.ReadAllBytes(seg)); // refusing changed nothing
    }

    [Fact]
    public void Swapped_rows_are_refused()
    {
        Build();
        var seg = SegmentPath("seg-000001.npy");
        var bytes = File.ReadAllBytes(seg);
        var row2 = bytes[(128 + 2 * RowBytes)..(128 + 3 * RowBytes)];
        Array.Copy(bytes, 128 + 9 * RowBytes, bytes, 128 + 2 * RowBytes, RowBytes);
        row2.CopyTo(bytes, 128 + 9 * RowBytes);
        File.WriteAllBytes(seg, bytes);
        AssertRefusedByEveryOpen(IndexDir, "seg-000001.npy", "rows 0..3");
    }

    [Fact]
    public void NaN_row_is_refused_even_with_a_matching_checksum()
    {
        Build();
        var seg = SegmentPath("seg-000003.npy"); // the open segment: rows 0..7
        var bytes = File.ReadAllBytes(seg);
        BitConverter.GetBytes(float.NaN).CopyTo(bytes, 128 + 5 * RowBytes + 8);
        File.WriteAllBytes(seg, bytes);
        var sum = Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(128 + 4 * RowBytes, 4 * RowBytes)));
        Sql($"UPDATE chunks SET checksum = '{sum}' WHERE segment = 3 AND first_row = 4");
        AssertRefusedByEveryOpen(IndexDir, "seg-000003.npy", "row 5", "img/0037.jpg", "NaN");
    }

    [Fact]
    public void Item_row_outside_its_segment_is_refused()
    {
        var ids = Build();
        Sql($"UPDATE items SET row = 99 WHERE id = {ids[36]}"); // open segment of 8 rows
        var ro = Assert.Throws<StoreCorruptException>(() => IndexStore.OpenReadOnly(IndexDir));
        Assert.Contains("rows up to 99", ro.Message);
        using var s = IndexStore.Open(IndexDir); // cannot prove rows up to 99: leaves the segment alone
        Assert.Contains(s.RecoveryLog, l => l.Contains("left untouched"));
        var ex = Assert.Throws<StoreCorruptException>(() => s.ReadAll());
        Assert.Contains("names row 99", ex.Message);
        Assert.Throws<StoreCorruptException>(() => s.GetVector(ids[36]));
    }

    [Fact]
    public void Add_refuses_non_finite_vectors()
    {
        using var s = IndexStore.Create(IndexDir, Meta());
        var v = Vec(1);
        v[3] = float.PositiveInfinity;
        var ex = Assert.Throws<ArgumentException>(() => s.Add(Item(1) with { Vector = v }));
        Assert.Contains("img/0001.jpg", ex.Message);
        Assert.Equal(0, s.Count);
    }

    [Fact]
    public void Intact_index_reads_back_with_checks_on()
    {
        var ids = Build();
        using var s = IndexStore.OpenReadOnly(IndexDir);
        var all = s.ReadAll();
        Assert.Equal(ids, all.Ids);
        Assert.Equal(Vec(23), all.Vector(23).ToArray());
        Assert.Equal(Vec(38), s.GetVector(ids[38]));
    }
}
