// Naive scalar reference for exact k-NN and range search: every score computed one at a time with the
// documented arithmetic (fma chains in dimension order), then a full sort with the tie rule written
// out by hand: better score first, equal scores by the lower id. No SIMD, no shortcuts.
using GpuSearch.Search;

namespace GpuSearch.Tests.Search;

/// <summary>A database as the reference sees it: stored values (dequantized, before scale) and scales.</summary>
internal sealed class ReferenceDb
{
    public int D;
    public List<float[]> Stored = new();
    public List<float> Scale = new();
    public List<long> Ids = new();
    public List<bool> Live = new();

    public static ReferenceDb Build(float[] vectors, long[] ids, int d, VectorStorage storage)
    {
        var db = new ReferenceDb { D = d };
        db.Append(vectors, ids, storage);
        return db;
    }

    public void Append(float[] vectors, long[] ids, VectorStorage storage)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            var x = vectors.AsSpan(i * D, D);
            var v = new float[D];
            float scale = 1f;
            if (storage == VectorStorage.Fp32) x.CopyTo(v);
            else if (storage == VectorStorage.Fp16) for (int j = 0; j < D; j++) v[j] = (float)(Half)x[j];
            else
            {
                var q = new sbyte[D];
                scale = VectorEncoding.QuantizeInt8(x, q);
                for (int j = 0; j < D; j++) v[j] = q[j];
            }
            Stored.Add(v); Scale.Add(scale); Ids.Add(ids[i]); Live.Add(true);
        }
    }

    public void Remove(long id)
    {
        for (int i = 0; i < Ids.Count; i++) if (Ids[i] == id) Live[i] = false;
    }
}

internal static class ReferenceKnn
{
    /// <summary>Score of query <paramref name="q"/> (raw, not normalized) against row i.</summary>
    public static float Score(ReferenceDb db, int i, float[] q, Metric metric)
    {
        var v = db.Stored[i];
        float s = db.Scale[i];
        var qq = (float[])q.Clone();
        if (metric == Metric.Cosine)
        {
            float qn = 0f;
            for (int j = 0; j < q.Length; j++) qn = MathF.FusedMultiplyAdd(q[j], q[j], qn);
            float qinv = qn > 0 ? 1f / MathF.Sqrt(qn) : 0f;
            for (int j = 0; j < q.Length; j++) qq[j] = q[j] * qinv;
        }
        float r = 0f;
        for (int j = 0; j < v.Length; j++) r = MathF.FusedMultiplyAdd(qq[j], v[j], r);
        float vn = 0f;
        for (int j = 0; j < v.Length; j++) vn = MathF.FusedMultiplyAdd(v[j], v[j], vn);
        switch (metric)
        {
            case Metric.Ip:
                return r * s;
            case Metric.Cosine:
                return r * (vn > 0 ? 1f / MathF.Sqrt(vn) : 0f);
            default:
                float qsq = 0f;
                for (int j = 0; j < q.Length; j++) qsq = MathF.FusedMultiplyAdd(q[j], q[j], qsq);
                float dist = MathF.FusedMultiplyAdd(-2f, r * s, qsq + vn * s * s);
                return dist > 0f ? dist : 0f;
        }
    }

    /// <summary>True when hit a ranks before hit b.</summary>
    public static bool Better(Metric metric, (float Score, long Id) a, (float Score, long Id) b)
    {
        float sa = float.IsNaN(a.Score) ? (metric == Metric.L2 ? float.PositiveInfinity : float.NegativeInfinity) : a.Score;
        float sb = float.IsNaN(b.Score) ? (metric == Metric.L2 ? float.PositiveInfinity : float.NegativeInfinity) : b.Score;
        if (metric == Metric.L2)
        {
            if (sa < sb) return true;
            if (sa > sb) return false;
        }
        else
        {
            if (sa > sb) return true;
            if (sa < sb) return false;
        }
        return a.Id < b.Id;
    }

    /// <summary>Every eligible hit of one query, best first.</summary>
    public static List<(float Score, long Id)> Ranked(ReferenceDb db, float[] q, Metric metric, Func<long, bool>? allowed)
    {
        var all = new List<(float Score, long Id)>();
        for (int i = 0; i < db.Ids.Count; i++)
        {
            if (!db.Live[i]) continue;
            if (allowed is not null && !allowed(db.Ids[i])) continue;
            all.Add((Score(db, i, q, metric), db.Ids[i]));
        }
        all.Sort((a, b) => Better(metric, a, b) ? -1 : Better(metric, b, a) ? 1 : 0);
        return all;
    }

    /// <summary>Q×k ids and scores, padded with -1 and ∓inf.</summary>
    public static (long[] Ids, float[] Scores) Search(ReferenceDb db, float[] queries, int k, Metric metric, Func<long, bool>? allowed = null)
    {
        int nq = queries.Length / db.D;
        var ids = new long[nq * k];
        var scores = new float[nq * k];
        for (int qi = 0; qi < nq; qi++)
        {
            var ranked = Ranked(db, queries.AsSpan(qi * db.D, db.D).ToArray(), metric, allowed);
            for (int j = 0; j < k; j++)
            {
                bool has = j < ranked.Count;
                ids[qi * k + j] = has ? ranked[j].Id : -1;
                scores[qi * k + j] = has ? ranked[j].Score : metric == Metric.L2 ? float.PositiveInfinity : float.NegativeInfinity;
            }
        }
        return (ids, scores);
    }

    /// <summary>Range search: hits with score &gt; t (L2: distance &lt; t), best first, at most cap; and drops.</summary>
    public static (List<(float Score, long Id)>[] Hits, long[] Dropped) Range(ReferenceDb db, float[] queries, float t, int cap, Metric metric, Func<long, bool>? allowed = null)
    {
        int nq = queries.Length / db.D;
        var hits = new List<(float, long)>[nq];
        var dropped = new long[nq];
        for (int qi = 0; qi < nq; qi++)
        {
            var ranked = Ranked(db, queries.AsSpan(qi * db.D, db.D).ToArray(), metric, allowed)
                .Where(h => metric == Metric.L2 ? h.Score < t : h.Score > t).ToList();
            hits[qi] = ranked.Take(cap).ToList();
            dropped[qi] = ranked.Count - hits[qi].Count;
        }
        return (hits, dropped);
    }
}
