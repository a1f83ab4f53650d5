// The packaged code fixes in a Roslyn 4.8 workspace.
//
// Opens the packed ContextAnalyzers .nupkg, takes analyzers/dotnet/roslyn4.8/cs (the folder a Visual Studio 17.8 or
// .NET 8 SDK host loads), and loads its DLLs into this process, which runs Microsoft.CodeAnalysis 4.8.0: a DLL built
// against a newer Roslyn fails to load here, as it would in such a host. Then, for every diagnostic id a packaged fix
// provider can fix, it takes cases/<ID>.cs, checks the case compiles and the packaged analyzers report <ID> in it,
// applies the first fix offered for the first such diagnostic, and checks the fixed code still compiles (against
// OpenTelemetry and the packed ContextAnalyzers.Runtime) with fewer <ID> diagnostics and no analyzer exception.
// One PASS/FAIL line per check; the last line is "N passed, N failed".
//
// Usage: Roslyn48Fixes --packages DIR --cases DIR [--show]   (--show prints every fix as a diff)
using System.Collections.Immutable;
using System.IO.Compression;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.E2E.Roslyn48;

internal static class Program
{
    private const string HostFolder = "analyzers/dotnet/roslyn4.8/cs/";
    private static int passed;
    private static int failed;

    private static async Task<int> Main(string[] args)
    {
        string? packages = null, cases = null;
        var show = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--packages": packages = args[++i]; break;
                case "--cases": cases = args[++i]; break;
                case "--show": show = true; break;
                default: Console.Error.WriteLine("unknown argument " + args[i]); return 2;
            }
        }

        if (packages is null || cases is null)
        {
            Console.Error.WriteLine("usage: Roslyn48Fixes --packages DIR --cases DIR [--show]");
            return 2;
        }

        try
        {
            await RunAsync(packages, cases, show);
        }
        catch (Exception e)
        {
            Fail("unexpected exception", e.ToString());
        }

        Console.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static async Task RunAsync(string packagesDir, string casesDir, bool show)
    {
        var roslyn = typeof(Workspace).Assembly.GetName().Version;
        var compiler = typeof(CSharpCompilation).Assembly.GetName().Version;
        Check(
            $"host: this process runs Roslyn {compiler} (Microsoft.CodeAnalysis.CSharp.Workspaces {roslyn})",
            roslyn == new Version(4, 8, 0, 0) && compiler == new Version(4, 8, 0, 0),
            "expected 4.8.0.0: the project must take the central Workspaces version without an override");

        var analyzersPackage = FindPackage(packagesDir, "ContextAnalyzers");
        var runtimePackage = FindPackage(packagesDir, "ContextAnalyzers.Runtime");
        var extracted = Path.Combine(Path.GetTempPath(), "ctx-roslyn48-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(extracted);
        try
        {
            var hostFiles = Extract(analyzersPackage, HostFolder, Path.Combine(extracted, "analyzers"));
            var runtimeFiles = Extract(runtimePackage, "lib/net8.0/", Path.Combine(extracted, "runtime"));
            var names = hostFiles.Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToList();
            Check(
                $"package: {Path.GetFileName(analyzersPackage)} has the analyzers and the code fixes in {HostFolder}",
                names.SequenceEqual(new[] { "ContextAnalyzers.Analyzers.dll", "ContextAnalyzers.CodeFixes.dll" }),
                "found: " + string.Join(", ", names));
            var analyzersDll = hostFiles.SingleOrDefault(f => Path.GetFileName(f) == "ContextAnalyzers.Analyzers.dll");
            var fixesDll = hostFiles.SingleOrDefault(f => Path.GetFileName(f) == "ContextAnalyzers.CodeFixes.dll");
            var runtimeDll = runtimeFiles.SingleOrDefault(f => Path.GetFileName(f) == "ContextAnalyzers.Runtime.dll");
            if (analyzersDll is null || fixesDll is null || runtimeDll is null)
            {
                Fail("package: the DLLs to load", "analyzers: " + analyzersDll, "fixes: " + fixesDll, "runtime: " + runtimeDll);
                return;
            }

            // The analyzers the way every host loads them: an analyzer file reference.
            var loadErrors = new List<string>();
            var reference = new AnalyzerFileReference(analyzersDll, new LoadFromLoader());
            reference.AnalyzerLoadFailed += (_, e) => loadErrors.Add($"{e.ErrorCode}: {e.Message} {e.Exception}");
            var analyzers = reference.GetAnalyzers(LanguageNames.CSharp);
            Check(
                $"load: the packaged analyzers load on Roslyn 4.8 ({analyzers.Length} analyzers)",
                analyzers.Length > 0 && loadErrors.Count == 0,
                loadErrors.DefaultIfEmpty("no analyzer found").ToArray());

            // The fixes the way an analyzer-reference host finds them: exported CodeFixProvider types, created by reflection.
            var fixers = LoadFixers(fixesDll, out var fixerProblem);
            Check($"load: the packaged code fixes load on Roslyn 4.8 ({fixers.Count} fix providers)", fixers.Count > 0 && fixerProblem is null, fixerProblem ?? "no fix provider found");
            if (analyzers.IsEmpty || fixers.Count == 0)
            {
                return;
            }

            var references = CompilationReferences(runtimeDll);
            var fixable = fixers.SelectMany(f => f.FixableDiagnosticIds).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToList();
            var caseFiles = Directory.GetFiles(casesDir, "*.cs").ToDictionary(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal);
            var strays = caseFiles.Keys.Except(fixable).OrderBy(k => k, StringComparer.Ordinal).ToList();
            Check(
                $"cases: one case per fixable rule ({fixable.Count}: {string.Join(" ", fixable)})",
                fixable.All(caseFiles.ContainsKey) && strays.Count == 0,
                "no case for: " + string.Join(" ", fixable.Where(id => !caseFiles.ContainsKey(id))),
                "case without a packaged fix: " + string.Join(" ", strays));

            foreach (var id in fixable)
            {
                if (caseFiles.TryGetValue(id, out var file))
                {
                    var schemaFile = Path.ChangeExtension(file, ".baggage-keys.txt");
                    await CheckFixAsync(id, File.ReadAllText(file), File.Exists(schemaFile) ? File.ReadAllText(schemaFile) : null, analyzers, fixers.Where(f => f.FixableDiagnosticIds.Contains(id)).ToList(), references, show);
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(extracted, recursive: true);
            }
            catch (UnauthorizedAccessException)
            {
                // The loaded DLLs may stay locked on some systems: a temporary folder left behind is harmless.
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task CheckFixAsync(string id, string source, string? schema, ImmutableArray<DiagnosticAnalyzer> analyzers, List<CodeFixProvider> fixers, ImmutableArray<MetadataReference> references, bool show)
    {
        var name = $"fix {id}";
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var documentId = DocumentId.CreateNewId(projectId);
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(
                projectId, VersionStamp.Create(), "Case" + id, "Case" + id, LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
                parseOptions: new CSharpParseOptions(LanguageVersion.CSharp12),
                metadataReferences: references))
            .AddDocument(documentId, id + ".cs", SourceText.From(source));
        if (schema is not null)
        {
            // A rule that reads the project's baggage key schema gets it the way a project gives it: an AdditionalFiles item.
            solution = solution.AddAdditionalDocument(DocumentId.CreateNewId(projectId), "baggage-keys.txt", SourceText.From(schema));
        }

        var before = await AnalyzeAsync(solution.GetProject(projectId)!, analyzers);
        var targets = before.Diagnostics.Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start).ToList();
        if (before.Errors.Count > 0 || before.Exceptions.Count > 0 || targets.Count == 0)
        {
            Fail($"{name}: the case compiles and reports {id}", before.Errors.Concat(before.Exceptions).Append($"{id} reported {targets.Count} time(s); reported: " + string.Join(", ", before.Diagnostics.Select(d => d.Id).Distinct())).ToArray());
            return;
        }

        var document = solution.GetDocument(documentId)!;
        var actions = new List<CodeAction>();
        foreach (var fixer in fixers)
        {
            var context = new CodeFixContext(document, targets[0], (action, _) => actions.Add(action), CancellationToken.None);
            await fixer.RegisterCodeFixesAsync(context);
        }

        if (actions.Count == 0)
        {
            Fail($"{name}: a fix is offered for {id} at {Where(targets[0])}");
            return;
        }

        var operations = await actions[0].GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().SingleOrDefault()?.ChangedSolution;
        if (changed is null)
        {
            Fail($"{name}: '{actions[0].Title}' changes the solution");
            return;
        }

        var fixedText = (await changed.GetDocument(documentId)!.GetTextAsync()).ToString();
        if (show)
        {
            Console.WriteLine($"---- {id}: {actions[0].Title}");
            Console.WriteLine(fixedText);
        }

        var after = await AnalyzeAsync(changed.GetProject(projectId)!, analyzers);
        var remaining = after.Diagnostics.Count(d => d.Id == id);
        Check(
            $"{name}: '{actions[0].Title}' on Roslyn 4.8 ({id} {targets.Count} -> {remaining}; the fixed code compiles, no analyzer exception)",
            fixedText != source && remaining < targets.Count && after.Errors.Count == 0 && after.Exceptions.Count == 0,
            after.Errors.Concat(after.Exceptions).Append($"{id} before: {targets.Count}, after: {remaining}").Append("fixed code:").Concat(fixedText.Split('\n')).ToArray());
    }

    private static async Task<(List<Diagnostic> Diagnostics, List<string> Errors, List<string> Exceptions)> AnalyzeAsync(Project project, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var compilation = (await project.GetCompilationAsync())!;
        var exceptions = new List<string>();
        var options = new CompilationWithAnalyzersOptions(
            project.AnalyzerOptions,
            onAnalyzerException: (e, analyzer, diagnostic) => { lock (exceptions) { exceptions.Add($"{analyzer.GetType().Name}: {e}"); } },
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAllDiagnosticsAsync();
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => $"{Where(d)} {d.Id}: {d.GetMessage()}").ToList();
        exceptions.AddRange(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.GetMessage()));
        return (diagnostics.Where(d => d.Id.StartsWith("CTX", StringComparison.Ordinal)).ToList(), errors, exceptions);
    }

    private static string Where(Diagnostic d) => $"line {d.Location.GetLineSpan().StartLinePosition.Line + 1}";

    private static List<CodeFixProvider> LoadFixers(string path, out string? problem)
    {
        problem = null;
        Type[] types;
        try
        {
            types = Assembly.LoadFrom(path).GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            problem = string.Join("\n", e.LoaderExceptions.Select(x => x?.Message).Distinct());
            return new List<CodeFixProvider>();
        }
        catch (Exception e) when (e is FileLoadException or FileNotFoundException or BadImageFormatException)
        {
            problem = e.ToString();
            return new List<CodeFixProvider>();
        }

        var fixers = new List<CodeFixProvider>();
        foreach (var type in types.Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t)))
        {
            var export = type.CustomAttributes.FirstOrDefault(a => a.AttributeType.FullName == typeof(ExportCodeFixProviderAttribute).FullName);
            if (export is null || !export.ConstructorArguments.Any(a => Equals(a.Value, LanguageNames.CSharp)))
            {
                continue;
            }

            try
            {
                fixers.Add((CodeFixProvider)Activator.CreateInstance(type)!);
            }
            catch (Exception e)
            {
                problem = $"{type.FullName}: {e}";
            }
        }

        return fixers;
    }

    private static ImmutableArray<MetadataReference> CompilationReferences(string runtimeDll)
    {
        // The shared framework's assemblies, plus OpenTelemetry (and what it needs) from this program's folder, plus
        // the packed runtime helpers the fixes rewrite to. Never this program's own Roslyn.
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var framework = tpa.Where(p => string.Equals(Path.GetDirectoryName(p), frameworkDir, StringComparison.Ordinal));
        var local = Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(p => Path.GetFileName(p).StartsWith("OpenTelemetry", StringComparison.Ordinal) || Path.GetFileName(p).StartsWith("Microsoft.Extensions.", StringComparison.Ordinal));
        return framework.Concat(local).Append(runtimeDll)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }

    private static string FindPackage(string dir, string id)
    {
        var pattern = new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(id) + @"\.[0-9][^/]*\.nupkg$");
        var found = Directory.GetFiles(dir, "*.nupkg").Where(f => pattern.IsMatch(Path.GetFileName(f))).ToList();
        if (found.Count != 1)
        {
            throw new InvalidOperationException($"expected one {id} package in {dir}, found {found.Count}");
        }

        return found[0];
    }

    private static List<string> Extract(string nupkg, string folder, string target)
    {
        Directory.CreateDirectory(target);
        using var zip = ZipFile.OpenRead(nupkg);
        var files = new List<string>();
        foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith(folder, StringComparison.Ordinal) && e.FullName.EndsWith(".dll", StringComparison.Ordinal)))
        {
            var path = Path.Combine(target, entry.Name);
            entry.ExtractToFile(path, overwrite: true);
            files.Add(path);
        }

        return files;
    }

    private static void Check(string name, bool ok, params string[] details)
    {
        if (ok)
        {
            Pass(name);
        }
        else
        {
            Fail(name, details);
        }
    }

    private static void Pass(string name)
    {
        passed++;
        Console.WriteLine("PASS  " + name);
    }

    private static void Fail(string name, params string[] details)
    {
        failed++;
        Console.WriteLine("FAIL  " + name);
        foreach (var line in details)
        {
            Console.WriteLine("      " + line.TrimEnd('\r'));
        }
    }

    /// <summary>Loads an analyzer assembly into this process, beside the Roslyn 4.8 it runs.</summary>
    private sealed class LoadFromLoader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }
}
