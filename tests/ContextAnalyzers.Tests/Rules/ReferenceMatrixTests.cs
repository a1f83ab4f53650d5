using System.Reflection;
using ContextAnalyzers.Tests.Verification;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>
/// Every rule's tests run on <c>ReferenceAssemblies.Net.Net80</c> with the test OpenTelemetry version. This re-runs one
/// representative test per rule (its diagnostic and, where the rule has one, its fix) on .NET Framework 4.7.2 (whose
/// ExecutionContext and DiagnosticSource come from other assemblies), and at the lowest and newest OpenTelemetry
/// version the feed serves (the newest on .NET 10, the lowest .NET it supports besides .NET Framework). The test itself is the rule's own; only the references change.
/// </summary>
public class ReferenceMatrixTests
{
    private static readonly (string Rule, Type Class, string Method)[] Representatives =
    {
        ("CTX101", typeof(CTX101AmbientContextNotRestoredCodeFixTests), nameof(CTX101AmbientContextNotRestoredCodeFixTests.RestoreInFinally_activity)),
        ("CTX102", typeof(CTX102ActivityNotEndedCodeFixTests), nameof(CTX102ActivityNotEndedCodeFixTests.UseUsing_on_a_declaration)),
        ("CTX103", typeof(CTX103SpanEndedByNonOwnerTests), nameof(CTX103SpanEndedByNonOwnerTests.Ending_whatever_is_current)),
        ("CTX104", typeof(CTX104BaggageResultDiscardedTests), nameof(CTX104BaggageResultDiscardedTests.Instance_calls_whose_result_is_dropped)),
        ("CTX105", typeof(CTX105StaticBaggageCallReplacesCurrentTests), nameof(CTX105StaticBaggageCallReplacesCurrentTests.Static_calls_with_an_explicit_baggage)),
        ("CTX106", typeof(CTX106LoggingScopeNotDisposedTests), nameof(CTX106LoggingScopeNotDisposedTests.Scopes_not_disposed_on_a_path_on_an_exception_or_overwritten)),
        ("CTX201", typeof(CTX201WorkQueuedWithoutExecutionContextCodeFixTests), nameof(CTX201WorkQueuedWithoutExecutionContextCodeFixTests.Using_statement_with_a_lambda)),
        ("CTX202", typeof(CTX202FlowSuppressionNotUndoneTests), nameof(CTX202FlowSuppressionNotUndoneTests.Fix_wraps_up_to_the_restore_in_a_using)),
        ("CTX203", typeof(CTX203ContextInThreadLocalStorageTests), nameof(CTX203ContextInThreadLocalStorageTests.Fix_turns_a_ThreadLocal_into_an_AsyncLocal)),
        ("CTX204", typeof(CTX204FireAndForgetOutlivesSpanTests), nameof(CTX204FireAndForgetOutlivesSpanTests.Fix_runs_detached_work_linked_to_the_span)),
        ("CTX205", typeof(CTX205TimerCapturesContextTests), nameof(CTX205TimerCapturesContextTests.Fix_creates_the_timer_with_ContextTimer)),
        ("CTX206", typeof(CTX206AmbientChangeLostOnReturnTests), nameof(CTX206AmbientChangeLostOnReturnTests.Fix_removes_the_lost_change_keeping_comments)),
        ("CTX207", typeof(CTX207QueueHandOffDropsContextCodeFixTests), nameof(CTX207QueueHandOffDropsContextCodeFixTests.ConcurrentQueue_drained_by_TryDequeue)),
        ("CTX301", typeof(CTX301SensitiveBaggageTests), nameof(CTX301SensitiveBaggageTests.Every_write_shape_is_checked)),
        ("CTX302", typeof(CTX301SensitiveBaggageTests), nameof(CTX301SensitiveBaggageTests.ContextScope_writes_are_checked)),
        ("CTX303", typeof(CTX303BaggageDroppedTests), nameof(CTX303BaggageDroppedTests.Constant_value_over_the_limit_counts_the_key_the_equals_and_percent_encoding)),
        ("CTX304", typeof(CTX304BaggageKeyContractTests), nameof(CTX304BaggageKeyContractTests.Reads_that_differ_from_a_written_key_by_case_or_separators_are_typos)),
        ("CTX305", typeof(CTX304BaggageKeyContractTests), nameof(CTX304BaggageKeyContractTests.Writes_not_in_the_schema_are_reported_and_renamed_to_the_closest_listed_key)),
        ("CTX401", typeof(CTX401ExtractedContextDiscardedTests), nameof(CTX401ExtractedContextDiscardedTests.Result_thrown_away_is_flagged)),
        ("CTX402", typeof(CTX402ActivityStartedWithoutExtractedParentTests), nameof(CTX402ActivityStartedWithoutExtractedParentTests.Start_without_parent_is_flagged_and_fixed)),
        ("CTX403", typeof(CTX403ExtractIgnoresCarrierTests), nameof(CTX403ExtractIgnoresCarrierTests.Current_context_as_input_is_flagged_and_replaced_by_default)),
        ("CTX404", typeof(CTX404BaggagePropagatorMissingTests), nameof(CTX404BaggagePropagatorMissingTests.Composite_without_baggage_used_to_inject_baggage_is_flagged_and_fixed)),
        ("CTX405", typeof(CTX405DefaultPropagatorCachedTests), nameof(CTX405DefaultPropagatorCachedTests.Static_readonly_field_of_the_entry_type_becomes_a_property)),
        ("CTX406", typeof(CTX406DefaultParentIsNotRootTests), nameof(CTX406DefaultParentIsNotRootTests.Named_default_parent_is_rewritten_to_a_linked_root)),
        ("CTX407", typeof(CTX407InjectingEmptyContextTests), nameof(CTX407InjectingEmptyContextTests.Default_context_is_flagged_and_rewritten_to_inject_current)),
    };

    /// <summary>
    /// Representatives whose snippets use .NET-only APIs, so they do not compile for .NET Framework as written; each is
    /// named with the reason so that a representative written for both can replace it.
    /// </summary>
    private static readonly Dictionary<string, string> NotOnNetFramework = new()
    {
        ["CTX207"] = "the snippet uses System.Threading.Channels and records (IsExternalInit)",
        ["CTX301"] = "the snippet uses the non-generic KeyValuePair.Create",
        ["CTX303"] = "the snippet imports System.Text.Json",
    };

    public static IEnumerable<object[]> Cases()
    {
        foreach (var profile in new[] { "net472", "lowest", "newest" })
        {
            foreach (var (rule, _, _) in Representatives)
            {
                if (profile != "net472" || !NotOnNetFramework.ContainsKey(rule))
                {
                    yield return new object[] { profile, rule };
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Representative_test_passes(string profile, string rule)
    {
        var (_, type, methodName) = Representatives.Single(r => r.Rule == rule);
        var method = type.GetMethod(methodName, BindingFlags.Public | BindingFlags.Instance)
            ?? throw new InvalidOperationException(type.Name + "." + methodName + " not found");
        Assert.NotNull(method.GetCustomAttribute<FactAttribute>());
        using (TestReferences.Use(Profile(profile)))
        {
            await (Task)method.Invoke(Activator.CreateInstance(type), null)!;
        }
    }

    [Fact]
    public void Every_rule_with_tests_has_a_representative()
    {
        var expected = Catalog.Descriptors.Select(d => d.Id).Where(id => id != DiagnosticIds.InvalidAnalyzerOption);
        Assert.Equal(expected.OrderBy(x => x, StringComparer.Ordinal), Representatives.Select(r => r.Rule).OrderBy(x => x, StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_profile_changes_what_the_snippets_compile_against()
    {
        using (TestReferences.Use(Profile("net472")))
        {
            var references = await TestReferences.ResolveAsync(ReferenceSet.All, TestReferences.Current);
            Assert.Contains(references, r => Path.GetFileName(r.Display) == "mscorlib.dll");
            Assert.Contains(references, r => r.Display!.Replace('\\', '/').Contains("/netstandard2.0/ContextAnalyzers.Runtime.dll", StringComparison.Ordinal));
        }

        var lowest = await TestReferences.ResolveAsync(ReferenceSet.OpenTelemetryApi | ReferenceSet.DiagnosticSource, Profile("lowest"));
        Assert.True(
            lowest.Any(r => r.Display!.Contains("opentelemetry.api", StringComparison.OrdinalIgnoreCase) && r.Display.Contains(TestReferences.OpenTelemetryLowestVersion, StringComparison.Ordinal)),
            "OpenTelemetry.Api " + TestReferences.OpenTelemetryLowestVersion + " is not among:\n" + string.Join("\n", lowest.Select(r => r.Display)));
    }

    private static ReferenceProfile Profile(string name) => name switch
    {
        "net472" => new ReferenceProfile(TargetFramework.Net472, TestReferences.OpenTelemetryTestVersion),
        "lowest" => new ReferenceProfile(TargetFramework.Net80, TestReferences.OpenTelemetryLowestVersion),
        // OpenTelemetry 1.21.0 targets net10.0/netstandard2.0/net462 and needs DiagnosticSource 11, which has no net8.0 build.
        "newest" => new ReferenceProfile(TargetFramework.Net100, TestReferences.OpenTelemetryNewestVersion),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
