// Parses the Python dict literal inside a .npy header, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// numpy writes it with ast-compatible syntax; we accept exactly that subset (strings, True/False,
// tuples of non-negative ints) and nothing else, so a hostile header cannot smuggle anything in.
namespace GpuSearch.Store;

internal static class NpyHeaderParser
{
    /// <summary>The three fields a .npy header must carry.</summary>
    internal readonly record struct Fields(string Descr, bool FortranOrder, long[] Shape);

    public static Fields Parse(string text, string file)
    {
        var p = new Cursor(text, file);
        p.SkipSpace();
        p.Expect('{');
        string? descr = null; bool? fortran = null; long[]? shape = null;
        while (true)
        {
            p.SkipSpace();
            if (p.TryTake('}')) break;
            string key = p.ReadString();
            p.SkipSpace(); p.Expect(':'); p.SkipSpace();
            switch (key)
            {
                case "descr": descr = p.ReadString(); break;
                case "fortran_order": fortran = p.ReadBool(); break;
                case "shape": shape = p.ReadShape(); break;
                default: throw p.Fail($"unexpected key '{key}' (a .npy header has only descr, fortran_order and shape)");
            }
            p.SkipSpace();
            if (p.TryTake(',')) continue;
            p.SkipSpace();
            p.Expect('}');
            break;
        }
        p.SkipSpace();
        if (!p.AtEnd) throw p.Fail("text after the closing '}'");
        if (descr is null) throw p.Fail("header has no 'descr'");
        if (fortran is null) throw p.Fail("header has no 'fortran_order'");
        if (shape is null) throw p.Fail("header has no 'shape'");
        return new Fields(descr, fortran.Value, shape);
    }

    private sealed class Cursor(string text, string file)
    {
        private int _pos;
        public bool AtEnd => _pos >= text.Length;

        public InvalidDataException Fail(string what) => new($"{file}: malformed .npy header: {what} (header: {text.Trim()})");

        public void SkipSpace() { while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++; }

        public bool TryTake(char c)
        {
            if (_pos < text.Length && text[_pos] == c) { _pos++; return true; }
            return false;
        }

        public void Expect(char c)
        {
            if (!TryTake(c)) throw Fail(AtEnd ? $"expected '{c}' but the header ended" : $"expected '{c}' at offset {_pos}, found '{text[_pos]}'");
        }

        public string ReadString()
        {
            if (AtEnd || (text[_pos] != '\'' && text[_pos] != '"')) throw Fail($"expected a quoted string at offset {_pos}");
            char q = text[_pos++];
            int end = text.IndexOf(q, _pos);
            if (end < 0) throw Fail("unterminated string");
            var s = text[_pos..end];
            if (s.Contains('\\')) throw Fail("escape sequences are not expected in a .npy header");
            _pos = end + 1;
            return s;
        }

        public bool ReadBool()
        {
            if (Match("True")) return true;
            if (Match("False")) return false;
            throw Fail($"expected True or False at offset {_pos}");
        }

        public long[] ReadShape()
        {
            Expect('(');
            var dims = new List<long>();
            while (true)
            {
                SkipSpace();
                if (TryTake(')')) break;
                dims.Add(ReadInt());
                SkipSpace();
                if (TryTake(',')) continue;
                SkipSpace();
                Expect(')');
                break;
            }
            return dims.ToArray();
        }

        private long ReadInt()
        {
            int start = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            if (_pos == start) throw Fail($"expected a non-negative integer in 'shape' at offset {start}");
            if (!long.TryParse(text.AsSpan(start, _pos - start), out long v)) throw Fail("a 'shape' dimension does not fit in 64 bits");
            TryTake('L'); // Python 2 era files wrote long literals as 10L.
            return v;
        }

        private bool Match(string word)
        {
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) != 0) return false;
            _pos += word.Length;
            return true;
        }
    }
}
