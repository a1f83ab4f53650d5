using ContextAnalyzers.Tests.Verification;
using static ContextAnalyzers.Tests.Rules.CTX401ExtractedContextDiscardedTests;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.CTX406DefaultParentIsNotRootAnalyzer, ContextAnalyzers.CTX406DefaultParentIsNotRootCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

public class CTX406DefaultParentIsNotRootTests
{
    /// <summary><see cref="CTX401ExtractedContextDiscardedTests.Header"/> with the <c>using</c> the runtime fixes add.</summary>
    internal const string RuntimeHeader = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics;
        using ContextAnalyzers.Runtime;
        using OpenTelemetry;
        using OpenTelemetry.Context.Propagation;

        """;

    private static string Job(string body, bool runtimeUsing = false) => (runtimeUsing ? RuntimeHeader : Header) + $$"""
        class Job
        {
            static readonly ActivitySource Source = new("Shop");
            void Run(int batch)
            {
        {{body}}
            }
        }
        """;

    [Fact]
    public async Task Named_default_parent_is_rewritten_to_a_linked_root()
    {
        await Verify.VerifyCodeFixAsync(
            Job("""
                    // One trace per batch.
                    using var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
                    activity?.SetTag("batch", batch);
            """),
            Job("""
                    // One trace per batch.
                    using var activityRoot = RootActivityScope.Start(Source, "export", ActivityKind.Internal);
                    var activity = activityRoot.Activity;
                    activity?.SetTag("batch", batch);
            """, runtimeUsing: true),
            CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey);
    }

    [Fact]
    public async Task Default_of_the_type_with_tags_is_rewritten_to_an_unlinked_root()
    {
        await Verify.VerifyCodeFixAsync(
            Job("""
                    using Activity? activity = Source.StartActivity("export", ActivityKind.Consumer, {|CTX406:default(ActivityContext)|}, tags: new[] { new KeyValuePair<string, object?>("batch", batch) });
            """, runtimeUsing: true),
            Job("""
                    using var activityRoot = RootActivityScope.Start(Source, "export", ActivityKind.Consumer, linkToPrevious: false, tags: new[] { new KeyValuePair<string, object?>("batch", batch) });
                    Activity? activity = activityRoot.Activity;
            """, runtimeUsing: true),
            CTX406DefaultParentIsNotRootCodeFix.StartRootKey);
    }

    [Fact]
    public async Task Using_statement_gets_the_scope_and_the_activity_inside_its_block()
    {
        await Verify.VerifyCodeFixAsync(
            Job("""
                    using (var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:default(ActivityContext)|}))
                    {
                        activity?.SetTag("batch", batch);
                    }
            """),
            Job("""
                    using (var activityRoot = RootActivityScope.Start(Source, "export", ActivityKind.Internal))
                    {
                        var activity = activityRoot.Activity;
                        activity?.SetTag("batch", batch);
                    }
            """, runtimeUsing: true),
            CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey);
    }

    [Fact]
    public async Task Scope_name_does_not_collide()
    {
        await Verify.VerifyCodeFixAsync(
            Job("""
                    var activityRoot = 1;
                    using var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
                    activity?.SetTag("batch", batch + activityRoot);
            """),
            Job("""
                    var activityRoot = 1;
                    using var activityRoot1 = RootActivityScope.Start(Source, "export", ActivityKind.Internal);
                    var activity = activityRoot1.Activity;
                    activity?.SetTag("batch", batch + activityRoot);
            """, runtimeUsing: true),
            CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey);
    }

    [Fact]
    public async Task A_RootActivityScope_of_the_user_in_an_imported_namespace_keeps_the_qualified_name()
    {
        // `using ContextAnalyzers.Runtime;` would make the user's RootActivityScope ambiguous (CS0104): no using, global:: name.
        const string Types = """

            namespace Shop.Tracing
            {
                class RootActivityScope { }
            }
            """;
        await Verify.VerifyCodeFixAsync(
            "using Shop.Tracing;\n" + Job("""
                    var mine = new RootActivityScope();
                    using var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
            """) + Types,
            "using Shop.Tracing;\n" + Job("""
                    var mine = new RootActivityScope();
                    using var activityRoot = global::ContextAnalyzers.Runtime.RootActivityScope.Start(Source, "export", ActivityKind.Internal);
                    var activity = activityRoot.Activity;
            """) + Types,
            CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey);
    }

    [Fact]
    public async Task Create_activity_and_non_using_starts_are_flagged_without_a_fix()
    {
        var test = Verify.Create();
        test.TestCode = Job("""
                    var started = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: new ActivityContext()|});
                    started?.Stop();
                    using var created = Source.CreateActivity("export", ActivityKind.Internal, {|CTX406:default(ActivityContext)|});
            """);
        test.NoFixOfferedKey = CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task No_runtime_no_fix()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Job("""
                    using var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
            """),
            CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey,
            ReferenceSet.AllButRuntime);
    }

    [Fact]
    public async Task Silent_look_alikes()
    {
        await Verify.VerifyAnalyzerAsync(Job("""
                    // A name or a comment is not enough: no explicit default, no diagnostic.
                    using var root = Source.StartActivity("new-root-export", ActivityKind.Internal);
                    using var parented = Source.StartActivity("child", ActivityKind.Internal, root?.Context ?? default);
                    var previous = Activity.Current;
                    Activity.Current = null;
                    using var managed = Source.StartActivity("managed", ActivityKind.Internal, parentContext: default);
                    Activity.Current = previous;
            """));
    }

    [Fact]
    public async Task Silent_when_the_method_extracts_a_remote_context()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    using var activity = Source.StartActivity("process", ActivityKind.Consumer, parentContext: default);
            """));
    }

    [Fact]
    public async Task Bails_out_without_diagnostic_source()
    {
        var test = Verify.Create();
        test.TestCode = "class C { void M() { } }";
        test.References = ReferenceSet.FrameworkOnly;
        await test.RunAsync();
    }
}
