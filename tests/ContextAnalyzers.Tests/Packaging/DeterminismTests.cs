using System.Reflection.PortableExecutable;

namespace ContextAnalyzers.Tests.Packaging;

/// <summary>
/// The shipped assemblies are built deterministically (same sources, same bytes): the compiler marks such an
/// assembly with a "Reproducible" debug directory entry and a content-derived MVID. These are the assemblies the
/// test run loaded, built with the same Directory.Build.props as the packed ones.
/// </summary>
public class DeterminismTests
{
    public static TheoryData<string> ShippedAssemblies() => new() { "ContextAnalyzers.Analyzers", "ContextAnalyzers.CodeFixes", "ContextAnalyzers.Runtime" };

    [Theory]
    [MemberData(nameof(ShippedAssemblies))]
    public void Shipped_assembly_is_built_deterministically(string name)
    {
        var path = System.Reflection.Assembly.Load(name).Location;
        using var pe = new PEReader(File.OpenRead(path));
        var entries = pe.ReadDebugDirectory().Select(e => e.Type).ToList();
        Assert.True(entries.Contains(DebugDirectoryEntryType.Reproducible), $"{path} has no Reproducible debug entry (entries: {string.Join(", ", entries)}): it was not built with Deterministic=true.");
    }
}
