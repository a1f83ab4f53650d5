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
            void Run(int batch, bool fresh, ActivityContext parent, string mode)
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
                    if (fresh)
                    {
                        // One trace per batch.
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
                        activity?.SetTag("batch", batch);
                    }
                    else
                    {
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, parent);
                        activity?.SetTag("batch", batch);
                    }
            """),
            Job("""
                    if (fresh)
                    {
                        // One trace per batch.
                        using var activityRoot = RootActivityScope.Start(Source, "export", ActivityKind.Internal);
                        var activity = activityRoot.Activity;
                        activity?.SetTag("batch", batch);
                    }
                    else
                    {
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, parent);
                        activity?.SetTag("batch", batch);
                    }
            """, runtimeUsing: true),
            CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey);
    }

    [Fact]
    public async Task Default_of_the_type_with_tags_is_rewritten_to_an_unlinked_root()
    {
        await Verify.VerifyCodeFixAsync(
            Job("""
                    switch (mode)
                    {
                        case "new":
                            using (Activity? activity = Source.StartActivity("export", ActivityKind.Consumer, {|CTX406:default(ActivityContext)|}, tags: new[] { new KeyValuePair<string, object?>("batch", batch) }))
                            {
                            }

                            break;
                        default:
                            using (Source.StartActivity("export", ActivityKind.Consumer, parent))
                            {
                            }

                            break;
                    }
            """, runtimeUsing: true),
            Job("""
                    switch (mode)
                    {
                        case "new":
                            using (var activityRoot = RootActivityScope.Start(Source, "export", ActivityKind.Consumer, linkToPrevious: false, tags: new[] { new KeyValuePair<string, object?>("batch", batch) }))
                            {
                                Activity? activity = activityRoot.Activity;
                            }

                            break;
                        default:
                            using (Source.StartActivity("export", ActivityKind.Consumer, parent))
                            {
                            }

                            break;
                    }
            """, runtimeUsing: true),
            CTX406DefaultParentIsNotRootCodeFix.StartRootKey);
    }

    [Fact]
    public async Task Using_statement_gets_the_scope_and_the_activity_inside_its_block()
    {
        await Verify.VerifyCodeFixAsync(
            Job("""
                    if (!fresh)
                        Source.StartActivity("export", ActivityKind.Internal, parent)?.Dispose();
                    else
                    {
                        using (var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:default(ActivityContext)|}))
                        {
                            activity?.SetTag("batch", batch);
                        }
                    }
            """),
            Job("""
                    if (!fresh)
                        Source.StartActivity("export", ActivityKind.Internal, parent)?.Dispose();
                    else
                    {
                        using (var activityRoot = RootActivityScope.Start(Source, "export", ActivityKind.Internal))
                        {
                            var activity = activityRoot.Activity;
                            activity?.SetTag("batch", batch);
                        }
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
                    if (fresh)
                    {
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
                        activity?.SetTag("batch", batch + activityRoot);
                    }
                    else
                    {
                        using var linked = Source.StartActivity("export", ActivityKind.Internal, default(ActivityContext), links: new[] { new ActivityLink(parent) });
                    }
            """),
            Job("""
                    var activityRoot = 1;
                    if (fresh)
                    {
                        using var activityRoot1 = RootActivityScope.Start(Source, "export", ActivityKind.Internal);
                        var activity = activityRoot1.Activity;
                        activity?.SetTag("batch", batch + activityRoot);
                    }
                    else
                    {
                        using var linked = Source.StartActivity("export", ActivityKind.Internal, default(ActivityContext), links: new[] { new ActivityLink(parent) });
                    }
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
                    if (fresh)
                    {
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
                    }
                    else
                    {
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, parent);
                    }
            """) + Types,
            "using Shop.Tracing;\n" + Job("""
                    var mine = new RootActivityScope();
                    if (fresh)
                    {
                        using var activityRoot = global::ContextAnalyzers.Runtime.RootActivityScope.Start(Source, "export", ActivityKind.Internal);
                        var activity = activityRoot.Activity;
                    }
                    else
                    {
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, parent);
                    }
            """) + Types,
            CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey);
    }

    [Fact]
    public async Task Switch_expression_arms_conditionals_and_embedded_usings_are_flagged_without_a_fix()
    {
        // A mode picks a root ("new"), a root linked to the remote parent ("link") or the remote parent itself.
        var test = Verify.Create();
        test.TestCode = Job("""
                    var activity = mode switch
                    {
                        "link" => Source.CreateActivity("receive", ActivityKind.Consumer, {|CTX406:(ActivityContext)default|}, links: new[] { new ActivityLink(parent) }),
                        "new" => Source.CreateActivity("receive", ActivityKind.Consumer, {|CTX406:default(ActivityContext)|}),
                        _ => Source.CreateActivity("receive", ActivityKind.Consumer, parent),
                    };
                    var nested = fresh switch
                    {
                        true => mode switch
                        {
                            "new" => Source.StartActivity("receive", ActivityKind.Consumer, {|CTX406:default(ActivityContext)|}),
                            _ => null,
                        },
                        false => Source.StartActivity("receive", ActivityKind.Consumer, parent),
                    };
                    if (fresh)
                        using (var embedded = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:default(ActivityContext)|}))
                        {
                        }
                    else
                        Source.StartActivity("export", ActivityKind.Internal, parent)?.Stop();
                    var started = fresh
                        ? Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: new ActivityContext()|})
                        : Source.StartActivity("export", ActivityKind.Internal, parent);
                    started?.Stop();
            """);
        test.NoFixOfferedKey = CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task Else_if_chains_and_switch_sections_are_flagged()
    {
        var test = Verify.Create();
        test.TestCode = Job("""
                    Activity? activity;
                    if (mode == "remote")
                    {
                        activity = Source.StartActivity("export", ActivityKind.Internal, parent);
                    }
                    else if (mode == "fresh")
                    {
                        activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
                    }
                    else
                    {
                        activity = null;
                    }

                    switch (mode)
                    {
                        case "remote":
                            activity = Source.CreateActivity("export", ActivityKind.Internal, parent);
                            break;
                        case "fresh":
                            activity = Source.CreateActivity("export", ActivityKind.Internal, {|CTX406:default(ActivityContext)|});
                            break;
                    }
            """);
        test.NoFixOfferedKey = CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey;
        await test.RunAsync();
    }

    [Fact]
    public async Task No_runtime_no_fix()
    {
        await Verify.VerifyNoCodeFixOfferedAsync(
            Job("""
                    if (fresh)
                    {
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, {|CTX406:parentContext: default|});
                    }
                    else
                    {
                        using var activity = Source.StartActivity("export", ActivityKind.Internal, parent);
                    }
            """),
            CTX406DefaultParentIsNotRootCodeFix.StartLinkedRootKey,
            ReferenceSet.AllButRuntime);
    }

    [Fact]
    public async Task Silent_when_default_only_fills_the_position_before_tags_links_or_start_time()
    {
        // StartActivity has no overload with tags, links or a start time but without parentContext: default here
        // means "parent on Activity.Current", which is what it does.
        await Verify.VerifyAnalyzerAsync(Job("""
                    var tags = new[] { new KeyValuePair<string, object?>("batch", batch) };
                    using var named = Source.StartActivity("export", ActivityKind.Client, parentContext: default, tags: tags, startTime: DateTimeOffset.UtcNow);
                    using var positional = Source.StartActivity("export", ActivityKind.Client, default(ActivityContext), tags);
                    using var linked = Source.StartActivity("poll", ActivityKind.Client, parentContext: default, links: new[] { new ActivityLink(parent) });
                    using var created = Source.CreateActivity("export", ActivityKind.Internal, new ActivityContext(), tags);
                    if (fresh)
                    {
                        // Both branches join the current activity: no real parent to choose instead.
                        using var a = Source.StartActivity("a", ActivityKind.Internal, default(ActivityContext), tags);
                    }
                    else
                    {
                        using var b = Source.StartActivity("b", ActivityKind.Internal, Activity.Current?.Context ?? default, tags);
                    }
            """));
    }

    [Fact]
    public async Task Silent_when_the_real_parent_is_only_nested_deeper_in_the_other_branch()
    {
        // Client side joins the current activity; the server side's starts sit in an inner choice of their own.
        await Verify.VerifyAnalyzerAsync(Job("""
                    var tags = new[] { new KeyValuePair<string, object?>("batch", batch) };
                    if (fresh)
                    {
                        var activity = Source.StartActivity("call", ActivityKind.Client, default(ActivityContext), tags);
                        activity?.Stop();
                    }
                    else
                    {
                        Console.WriteLine(batch);
                        if (parent != default)
                        {
                            Source.StartActivity("serve", ActivityKind.Server, parent, tags)?.Stop();
                        }
                    }
            """));
    }

    [Fact]
    public async Task Silent_when_the_branch_is_taken_only_with_a_current_activity()
    {
        // The code looked at Activity.Current and chose to join it.
        await Verify.VerifyAnalyzerAsync(Job("""
                    var tags = new[] { new KeyValuePair<string, object?>("batch", batch) };
                    Activity? ours;
                    var current = Activity.Current;
                    if (current == null)
                    {
                        ours = Source.StartActivity("serve", ActivityKind.Server, parent, tags);
                    }
                    else if (current.TraceId == parent.TraceId)
                    {
                        ours = Source.StartActivity("serve", ActivityKind.Server, default(ActivityContext), tags);
                    }
                    else
                    {
                        ours = Source.StartActivity("serve", ActivityKind.Server, parent, tags);
                    }

                    ours?.Stop();
                    var other = Activity.Current is not null
                        ? Source.StartActivity("serve", ActivityKind.Server, default(ActivityContext), tags)
                        : Source.StartActivity("serve", ActivityKind.Server, parent, tags);
                    other?.Stop();
            """));
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
                    var managed = fresh
                        ? Source.StartActivity("managed", ActivityKind.Internal, parentContext: default)
                        : Source.StartActivity("managed", ActivityKind.Internal, parent);
                    Activity.Current = previous;
                    managed?.Stop();
            """));
    }

    [Fact]
    public async Task Silent_when_the_method_extracts_a_remote_context()
    {
        await Verify.VerifyAnalyzerAsync(Consumer("""
                    var context = Propagator.Extract(default, headers, Get);
                    var activity = headers.Count == 0
                        ? Source.StartActivity("process", ActivityKind.Consumer, parentContext: default)
                        : Source.StartActivity("process", ActivityKind.Consumer, context.ActivityContext);
                    activity?.Stop();
            """));
    }

    [Theory]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s, bool b) { var a = b ? s.StartActivity(\"x\", System.Diagnostics.ActivityKind.Internal, default) : s.StartActivity(\"x\", System.Diagnostics.ActivityKind.Internal, ); } }")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s, string m) { var a = m switch { \"n\" => s.StartActivity(\"x\", System.Diagnostics.ActivityKind.Internal, default), _ => s.StartActivity(\"x\", System.Diagnostics.ActivityKind.Internal, Undefined) }; } }")]
    [InlineData("class C { void M(System.Diagnostics.ActivitySource s, bool b) { if (b) s.StartActivity(\"x\", System.Diagnostics.ActivityKind.Internal, default)?.Stop(); else if (System.Diagnostics.Activity.Current is { } c) s.StartActivity(\"x\", default, c.Context, links: ); } }")]
    public async Task Half_typed_code_does_not_crash(string source)
    {
        await CrashVerifier.AssertNoCrashAsync(source);
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
