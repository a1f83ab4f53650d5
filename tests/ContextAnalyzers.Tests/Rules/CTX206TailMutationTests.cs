using ContextAnalyzers.Flow;
using ContextAnalyzers.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// <see cref="TailMutation.IsLostAtTail"/> directly: the contract CTX206 reports on and CTX101 stays silent on.
/// Each snippet marks exactly one mutation with <c>[|...|]</c>.
/// </summary>
public class CTX206TailMutationTests
{
    private const string Usings = """
        using System;
        using System.Diagnostics;
        using System.Threading;
        using System.Threading.Tasks;
        using OpenTelemetry;

        """;

    [Theory]
    [InlineData("async Task M(Activity a) { await Task.Yield(); [|Activity.Current = a|]; }")]
    [InlineData("async Task M() { await Task.Yield(); [|Baggage.SetBaggage(\"k\", \"v\")|]; }")]
    [InlineData("async Task M() { await Task.Yield(); [|Baggage.RemoveBaggage(\"k\")|]; }")]
    [InlineData("async Task M() { await Task.Yield(); [|Baggage.ClearBaggage()|]; }")]
    [InlineData("async Task M(Baggage b) { await Task.Yield(); [|Baggage.Current = b|]; }")]
    [InlineData("async Task M(Baggage b) { await Task.Yield(); [|Baggage.SetBaggage(\"k\", \"v\", b)|]; }")]
    [InlineData("async Task<int> M(Activity a) { await Task.Yield(); int x = 1; [|Activity.Current = a|]; x++; return x; }")]
    [InlineData("async Task M(Activity a, bool c) { if (c) { [|Activity.Current = a|]; return; } await Task.Delay(1); }")]
    [InlineData("async Task M(Activity a) { [|Activity.Current = a|]; Baggage.SetBaggage(\"k\", \"v\"); }")]
    [InlineData("async void M(Activity a) { await Task.Yield(); [|Activity.Current = a|]; }")]
    [InlineData("async Task<Activity> M(Activity a) { await Task.Yield(); return [|Activity.Current = a|]; }")]
    [InlineData("Task M(Activity a) => Task.Run(() => { [|Activity.Current = a|]; });")]
    [InlineData("Task M(Activity a) => Task.Run(() => [|Activity.Current = a|]);")]
    [InlineData("Task M() => Task.Run(() => { [|Baggage.SetBaggage(\"k\", \"v\")|]; return Task.CompletedTask; });")]
    [InlineData("Task M(Activity a) => Task.Factory.StartNew(() => { [|Activity.Current = a|]; });")]
    [InlineData("void M(Activity a) => ThreadPool.QueueUserWorkItem(_ => { [|Activity.Current = a|]; });")]
    [InlineData("void M(Activity a) => ThreadPool.UnsafeQueueUserWorkItem(_ => { [|Activity.Current = a|]; }, null);")]
    [InlineData("void M(Activity a) => Parallel.For(0, 10, i => { [|Activity.Current = a|]; });")]
    [InlineData("void M(Activity a) => Parallel.Invoke(() => { }, () => { [|Activity.Current = a|]; });")]
    [InlineData("Task M(Task t, Activity a) => t.ContinueWith(_ => { [|Activity.Current = a|]; });")]
    [InlineData("Task M(Activity a) { return Run(); async Task Run() { await Task.Yield(); [|Activity.Current = a|]; } }")]
    [InlineData("Func<Task> M(Activity a) => async () => { await Task.Yield(); [|Activity.Current = a|]; };")]
    [InlineData("async Task M(Activity a, int n) { for (var i = 0; i < n; i++) { [|Activity.Current = a|]; } }")]
    [InlineData("async Task M(Activity a) { try { await Task.Yield(); [|Activity.Current = a|]; } finally { int x = 0; x++; } }")]
    // Calls the walk allows after a change never make the syntactic pre-check say "observed".
    [InlineData("async Task M(Activity a) { await Task.Yield(); [|Activity.Current = a|]; var t = Task.FromResult(1); }")]
    [InlineData("async Task M(Activity a) { await Task.Yield(); [|Activity.Current = a|]; var n = nameof(a); }")]
    // A RuntimeContext slot is an AsyncLocal like Activity.Current: set at the tail of a hop delegate it is lost.
    [InlineData("Task M() => Task.Run(() => { [|OpenTelemetry.Context.RuntimeContext.SetValue(\"tenant\", 1)|]; });")]
    [InlineData("async Task M() { await Task.Yield(); [|OpenTelemetry.Context.RuntimeContext.SetValue(\"tenant\", 1)|]; }")]
    public void Lost_at_tail(string member) => Assert.True(Run(member));

    [Theory]
    // Early in an async method that then uses it.
    [InlineData("async Task M(Activity a) { [|Activity.Current = a|]; await Task.Delay(1); }")]
    [InlineData("async Task M(Activity a) { [|Activity.Current = a|]; Console.WriteLine(Activity.Current?.Id); }")]
    [InlineData("async Task M() { [|Baggage.SetBaggage(\"k\", \"v\")|]; await Task.Run(() => Console.WriteLine(Baggage.GetBaggage(\"k\"))); }")]
    [InlineData("async Task M(Activity a) { [|Activity.Current = a|]; var x = new object(); }")]
    [InlineData("async Task<string?> M(Activity a) { await Task.Yield(); [|Activity.Current = a|]; return a.Id; }")]
    // The next statement calls something first (the syntactic pre-check's shape, same answer as the graph walk).
    [InlineData("async Task M(Func<Task> next) { [|Baggage.SetBaggage(\"k\", \"v\")|]; try { await next(); } finally { } }")]
    [InlineData("async Task M(Activity a) { await Task.Yield(); [|Activity.Current = a|]; var id = a.ToString(); }")]
    // A finally or using that runs afterwards can observe it.
    [InlineData("async Task M(Activity a) { try { await Task.Yield(); [|Activity.Current = a|]; } finally { Console.WriteLine(); } }")]
    [InlineData("async Task M(ActivitySource s, Activity a) { using var x = s.StartActivity(\"x\"); await Task.Yield(); [|Activity.Current = a|]; }")]
    // A loop runs an observer again.
    [InlineData("async Task M(Activity a) { foreach (var i in new[] { 1, 2 }) { Console.WriteLine(i); [|Activity.Current = a|]; } }")]
    // Synchronous flows leak to the caller instead (CTX101's business).
    [InlineData("void M(Activity a) { [|Activity.Current = a|]; }")]
    [InlineData("Task M(Activity a) { [|Activity.Current = a|]; return Task.CompletedTask; }")]
    [InlineData("void M(Activity a) { Action f = () => { [|Activity.Current = a|]; }; f(); }")]
    [InlineData("void M(Activity a) => new Thread(() => { [|Activity.Current = a|]; }).Start();")]
    // Restores are not changes.
    [InlineData("async Task M(Activity a) { var previous = Activity.Current; Activity.Current = a; try { await Task.Yield(); } finally { [|Activity.Current = previous|]; } }")]
    [InlineData("async Task M() { await Task.Yield(); [|Activity.Current = null|]; }")]
    [InlineData("async Task M(Activity a) { await Task.Yield(); [|Activity.Current = a.Parent|]; }")]
    [InlineData("async Task M() { var saved = Baggage.Current; Baggage.SetBaggage(\"k\", \"v\"); await Task.Yield(); [|Baggage.Current = saved|]; }")]
    [InlineData("async Task M() { var saved = OpenTelemetry.Context.RuntimeContext.GetValue(\"tenant\"); await Task.Yield(); [|OpenTelemetry.Context.RuntimeContext.SetValue(\"tenant\", saved)|]; }")]
    [InlineData("async Task M() { [|OpenTelemetry.Context.RuntimeContext.SetValue(\"tenant\", 1)|]; await Task.Delay(1); }")]
    // Not a mutation at all.
    [InlineData("async Task M() { await Task.Yield(); [|Baggage.Current.SetBaggage(\"k\", \"v\")|]; }")]
    [InlineData("async Task M(Activity a) { await Task.Yield(); [|a.SetBaggage(\"k\", \"v\")|]; }")]
    public void Not_lost_at_tail(string member) => Assert.False(Run(member));

    [Fact]
    public void Expression_statement_is_unwrapped()
    {
        Assert.True(Run("async Task M(Activity a) { await Task.Yield(); [|Activity.Current = a;|] }"));
    }

    [Theory]
    [InlineData("async Task M() { [|Activity.Current = |] }")]
    [InlineData("async Task M() { [|Baggage.SetBaggage(|] }")]
    [InlineData("async Task M() { await Task.Yield(); [|Activity.Current = Nope|]; }")]
    public void Half_typed_code_does_not_throw(string member)
    {
        var exception = Record.Exception(() => Run(member, allowErrors: true));
        Assert.Null(exception);
    }

    private static bool Run(string member, bool allowErrors = false)
    {
        var (text, spans) = Markup.Parse(Usings + "class C\n{\n    " + member + "\n}\n");
        var tree = CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = CSharpCompilation.Create(
            "TailMutationTest",
            new[] { tree },
            TestReferences.Get(ReferenceSet.All),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        if (!allowErrors)
        {
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
        }

        var model = compilation.GetSemanticModel(tree);
        var span = Assert.Single(spans).Span;
        var node = tree.GetRoot().FindNode(span, getInnermostNodeForTie: true);
        if (node is ArgumentSyntax argument)
        {
            node = argument.Expression;
        }

        var operation = model.GetOperation(node);
        if (operation is null)
        {
            Assert.True(allowErrors, "no operation at the marked span: " + node);
            return false;
        }

        return TailMutation.IsLostAtTail(operation, FlowGraphSource.Uncached(CancellationToken.None));
    }
}
