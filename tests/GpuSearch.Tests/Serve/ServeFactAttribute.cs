// A fact that needs the serve fixture's shared files (model and photos); skips with the reason when they are absent.
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Serve;

public sealed class ServeFactAttribute : FactAttribute
{
    public ServeFactAttribute()
    {
        foreach (var rel in ServeFixture.Needs)
            if (SharedData.Find(rel, out var why) is null) { Skip = why; break; }
    }
}
