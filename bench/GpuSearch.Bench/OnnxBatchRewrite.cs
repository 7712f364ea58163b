// A copy of an ONNX model whose named inputs and outputs get a symbolic batch ("N") in place of a fixed first
// dimension, for ONNX Runtime: older exports (ML.NET's ResNet-18 featurizer) fix the batch at 1, which ORT
// enforces, while the engine frees it at load time. Works on the protobuf wire format: ModelProto.graph (7) →
// GraphProto.input/output (11/12) → ValueInfoProto.type (2) → TypeProto.tensor_type (1) → shape (2) → dim (1);
// GraphProto.value_info (13) is dropped, since its recorded shapes still say batch 1.
namespace GpuSearch.Bench;

internal static class OnnxBatchRewrite
{
    public static byte[] FreeBatch(byte[] model, IReadOnlySet<string> names) =>
        Map(model, (f, p) => f == 7 ? Map(p, (gf, gp) => gf switch
        {
            11 or 12 when names.Contains(ValueInfoName(gp)) => Map(gp, (vf, vp) => vf == 2 ? Map(vp, (tf, tp) => tf == 1
                ? Map(tp, (sf, sp) => sf == 2 ? FirstDimSymbolic(sp) : sp) : tp) : vp),
            13 => null,
            _ => gp,
        }) : p);

    private static byte[] FirstDimSymbolic(byte[] shape)
    {
        bool first = true;
        return Map(shape, (f, p) =>
        {
            if (f != 1 || !first) return p;
            first = false;
            return [(2 << 3) | 2, 1, (byte)'N']; // Dimension { dim_param: "N" }
        });
    }

    private static string ValueInfoName(byte[] valueInfo)
    {
        string name = "";
        Map(valueInfo, (f, p) => { if (f == 1) name = System.Text.Encoding.UTF8.GetString(p); return p; });
        return name;
    }

    /// <summary>Rewrites each length-delimited field through <paramref name="edit"/> (null drops it); other fields are copied.</summary>
    private static byte[] Map(byte[] msg, Func<int, byte[], byte[]?> edit)
    {
        using var o = new MemoryStream();
        int i = 0;
        while (i < msg.Length)
        {
            int start = i;
            ulong tag = ReadVarint(msg, ref i);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            switch (wire)
            {
                case 0: ReadVarint(msg, ref i); o.Write(msg, start, i - start); break;
                case 1: i += 8; o.Write(msg, start, i - start); break;
                case 5: i += 4; o.Write(msg, start, i - start); break;
                case 2:
                    int len = checked((int)ReadVarint(msg, ref i));
                    var payload = msg[i..(i + len)];
                    i += len;
                    var edited = edit(field, payload);
                    if (edited is null) break;
                    WriteVarint(o, tag);
                    WriteVarint(o, (ulong)edited.Length);
                    o.Write(edited);
                    break;
                default: throw new InvalidDataException($"ONNX rewrite: unsupported wire type {wire} at byte {start}");
            }
        }
        return o.ToArray();
    }

    private static ulong ReadVarint(byte[] b, ref int i)
    {
        ulong v = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte x = b[i++];
            v |= (ulong)(x & 0x7f) << shift;
            if (x < 0x80) return v;
        }
    }

    private static void WriteVarint(Stream o, ulong v)
    {
        while (v >= 0x80) { o.WriteByte((byte)(v | 0x80)); v >>= 7; }
        o.WriteByte((byte)v);
    }
}
