// The query refinement options `query` and `eval` share (--min-score, --exclude-self, --qe/--alpha, --dba/--dba-alpha/--dba-shortlist,
// --background/--beta/--bg-n, --stretch, --space), parsed once into QueryRefinementArgs and turned into the engine's QueryRefinement.
using System.CommandLine;

namespace GpuSearch.Cli;

/// <summary>What the refinement options said (the defaults change nothing).</summary>
internal sealed record QueryRefinementArgs(float MinScore = -1f, bool ExcludeSelf = false, int Qe = 0, float Alpha = 3f,
    string? Background = null, float Beta = 1f, int BackgroundNeighbours = 10, string[]? Spaces = null,
    int StretchNeighbours = 0, float StretchFactor = 1f, int Dba = 0, float DbaAlpha = 3f, int DbaShortlist = 100)
{
    /// <summary>Checks the values (usage errors name the option) and builds the engine's refinement; dispose the background after use.</summary>
    public QueryRefinement Build(ImageSearchEngine engine)
    {
        if (!float.IsFinite(MinScore)) throw new ArgumentException($"--min-score must be a finite number (got {MinScore})");
        if (Qe < 0) throw new ArgumentException($"--qe must be at least 0 (got {Qe})");
        if (!float.IsFinite(Alpha) || Alpha < 0) throw new ArgumentException($"--alpha must be a finite number ≥ 0 (got {Alpha})");
        if (Dba < 0) throw new ArgumentException($"--dba must be at least 0 (got {Dba})");
        if (!float.IsFinite(DbaAlpha) || DbaAlpha < 0) throw new ArgumentException($"--dba-alpha must be a finite number ≥ 0 (got {DbaAlpha})");
        if (DbaShortlist < 1) throw new ArgumentException($"--dba-shortlist must be at least 1 (got {DbaShortlist})");
        if (!float.IsFinite(Beta)) throw new ArgumentException($"--beta must be a finite number (got {Beta})");
        if (BackgroundNeighbours < 1) throw new ArgumentException($"--bg-n must be at least 1 (got {BackgroundNeighbours})");
        if (StretchNeighbours != 0) _ = RefinementOptions.ParseStretch($"{StretchNeighbours}:{StretchFactor.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
        if (StretchNeighbours != 0 && Background is null) throw new ArgumentException("--stretch needs --background");
        return new QueryRefinement
        {
            MinScore = MinScore, ExcludeSelf = ExcludeSelf, ExpansionNeighbours = Qe, ExpansionAlpha = Alpha,
            AugmentationNeighbours = Dba, AugmentationAlpha = DbaAlpha, AugmentationShortlist = DbaShortlist,
            Spaces = SpaceOptions.ParseSpaces(Spaces), StretchNeighbours = StretchNeighbours, StretchFactor = StretchFactor,
            Background = Background is null ? null : engine.LoadBackground(Background, BackgroundNeighbours, Beta),
        };
    }
}

/// <summary>The options themselves, added to a command and read back from a parse result.</summary>
internal sealed class RefinementOptions
{
    private readonly Option<float> _minScore = new("--min-score") { Description = "Drop hits scoring below S (after --background normalisation)", DefaultValueFactory = _ => -1f };
    private readonly Option<bool> _excludeSelf = new("--exclude-self") { Description = "Drop hits that are the query file itself (same path or same content hash)" };
    private readonly Option<int> _qe = new("--qe") { Description = "α-query-expansion: average the query with its N best hits, then search again (0: off)" };
    private readonly Option<float> _alpha = new("--alpha") { Description = "Expansion weights max(score, 0)^alpha", DefaultValueFactory = _ => 3f };
    private readonly Option<int> _dba = new Option<int>("--dba")
    {
        Description = "Database-side augmentation re-rank (after --qe, before --background): each of a query's --dba-shortlist best hits "
                      + "becomes itself plus its N best database neighbours weighted by max(score, 0)^dba-alpha, normalised; the query is scored again against those (0: off)",
    }.AtLeast(0);
    private readonly Option<float> _dbaAlpha = new("--dba-alpha") { Description = "Augmentation weights max(score, 0)^dba-alpha", DefaultValueFactory = _ => 3f };
    private readonly Option<int> _dbaShortlist = new Option<int>("--dba-shortlist")
    {
        Description = "Hits per query re-ranked by --dba (at least k)", DefaultValueFactory = _ => 100,
    }.AtLeast(1);
    private readonly Option<string?> _background = new("--background") { Description = "Index folder of unrelated images (same model): subtract beta × the mean of each query's bg-n best similarities to it" };
    private readonly Option<float> _beta = new("--beta") { Description = "Weight of the background mean", DefaultValueFactory = _ => 1f };
    private readonly Option<string[]> _spaces = SpaceOptions.Spaces();
    private readonly Option<int> _bgN = new("--bg-n") { Description = "Background neighbours averaged per query", DefaultValueFactory = _ => 10 };
    private readonly Option<string?> _stretch = new("--stretch")
    {
        Description = "Descriptor stretching (ISC 2021 bag of tricks; needs --background, runs after the subtraction, --beta 0 for stretching alone): "
                      + "multiply each query's scores by FACTOR (default 1) × its L2 distance to its N-th nearest background vector",
        HelpName = "N[:FACTOR]",
    };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { _minScore, _excludeSelf, _qe, _alpha, _dba, _dbaAlpha, _dbaShortlist, _background, _beta, _bgN, _stretch, _spaces }) cmd.Options.Add(o);
        // Usage errors at parse time, so a refused command line exits 2 before opening anything.
        _stretch.Validators.Add(r =>
        {
            try { ParseStretch(r.GetValueOrDefault<string?>()); }
            catch (ArgumentException e) { r.AddError(e.Message); }
        });
        _dbaAlpha.Validators.Add(r =>
        {
            float value;
            try { value = r.GetValueOrDefault<float>(); }
            catch (InvalidOperationException) { return; } // not a number: the parse already reports that
            if (!float.IsFinite(value) || value < 0) r.AddError($"--dba-alpha must be a finite number ≥ 0 (got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
        });
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(_stretch) is not null && r.GetValue(_background) is null) r.AddError("--stretch needs --background BG_DB");
        });
    }

    public QueryRefinementArgs Read(ParseResult r)
    {
        var (n, factor) = ParseStretch(r.GetValue(_stretch));
        return new(r.GetValue(_minScore), r.GetValue(_excludeSelf), r.GetValue(_qe), r.GetValue(_alpha),
            r.GetValue(_background), r.GetValue(_beta), r.GetValue(_bgN), r.GetValue(_spaces), n, factor,
            r.GetValue(_dba), r.GetValue(_dbaAlpha), r.GetValue(_dbaShortlist));
    }

    /// <summary>`N[:FACTOR]` (N ≥ 1, FACTOR finite and &gt; 0, default 1); null means off (0, 1).</summary>
    internal static (int Neighbours, float Factor) ParseStretch(string? value)
    {
        if (value is null) return (0, 1f);
        var parts = value.Split(':');
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (parts.Length > 2 || !int.TryParse(parts[0], System.Globalization.NumberStyles.Integer, inv, out var n) || n < 1)
            throw new ArgumentException($"--stretch takes N[:FACTOR] with N an integer ≥ 1 (got '{value}')");
        float factor = 1f;
        if (parts.Length == 2 && (!float.TryParse(parts[1], System.Globalization.NumberStyles.Float, inv, out factor) || !float.IsFinite(factor) || factor <= 0))
            throw new ArgumentException($"--stretch FACTOR must be a finite number > 0 (got '{value}')");
        return (n, factor);
    }
}
