using ContextAnalyzers.Rules;
using ContextAnalyzers.Tests.Verification;
using Verify = ContextAnalyzers.Tests.Verification.CodeFixVerifier<ContextAnalyzers.Rules.CTX106LoggingScopeNotDisposedAnalyzer, ContextAnalyzers.Rules.CTX106LoggingScopeNotDisposedCodeFix>;

namespace ContextAnalyzers.Tests.Rules;

/// <summary>CTX106: a logging scope (<c>ILogger.BeginScope</c>) must be disposed on every path of the method that begins it.</summary>
public class CTX106LoggingScopeNotDisposedTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Logging;

        """;

    private const string Head = "class C\n{\n    static void Work() { }\n";

    // ------------------------------------------------------------------ the runtime fact behind the rule

    [Fact]
    public void Fact_an_undisposed_scope_stays_on_the_flow_and_a_disposed_one_does_not()
    {
        var provider = new Microsoft.Extensions.Logging.LoggerExternalScopeProvider();
        List<object?> Scopes()
        {
            var list = new List<object?>();
            provider.ForEachScope((scope, state) => state.Add(scope), list);
            return list;
        }

        using (provider.Push("disposed"))
        {
            Assert.Equal(new object?[] { "disposed" }, Scopes());
        }

        Assert.Empty(Scopes());
        provider.Push("leaked");
        Assert.Equal(new object?[] { "leaked" }, Scopes()); // every later entry of this flow carries it
    }

    // ------------------------------------------------------------------ flagged

    [Fact]
    public Task Discarded_scopes() => Verify.VerifyAnalyzerAsync(Usings + Head + """
            void M(ILogger logger, ILogger<C> typed, ILogger? maybe, int orderId)
            {
                [|logger.BeginScope("order {OrderId}", orderId)|];
                [|typed.BeginScope(new Dictionary<string, object> { ["OrderId"] = orderId })|];
                _ = [|logger.BeginScope(orderId)|];
                [|maybe?.BeginScope("x")|];
                Work();
            }
        }
        """);

    [Fact]
    public Task Scopes_not_disposed_on_a_path_on_an_exception_or_overwritten() => Verify.VerifyAnalyzerAsync(Usings + Head + """
            void EarlyReturn(ILogger logger, bool skip)
            {
                var scope = {|#0:logger.BeginScope("x")|};
                if (skip)
                {
                    return;
                }

                scope?.Dispose();
            }

            void Exception(ILogger logger)
            {
                var scope = {|#1:logger.BeginScope("x")|};
                Work();
                scope?.Dispose();
            }

            void Loop(ILogger logger, int[] ids)
            {
                IDisposable? scope = null;
                foreach (var id in ids)
                {
                    scope = {|#2:logger.BeginScope(id)|};
                }

                scope?.Dispose();
            }
        }
        """,
        Verify.Diagnostic("CTX106").WithLocation(0).WithMessage("The logging scope begun here is not disposed on every path: a path leaves the method without disposing 'scope'"),
        Verify.Diagnostic("CTX106").WithLocation(1).WithMessage("The logging scope begun here is not disposed on every path: an exception can leave the method before 'scope' is disposed (dispose it in a finally, or use 'using')"),
        Verify.Diagnostic("CTX106").WithLocation(2).WithMessage("The logging scope begun here is not disposed on every path: 'scope' is assigned again before it was disposed"));

    [Fact]
    public Task Loggers_that_implement_ILogger_and_static_helpers_taking_a_logger() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class MyLogger : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) { }
        }

        static class Scopes
        {
            public static IDisposable? BeginScope(ILogger logger, int orderId) => logger.BeginScope(orderId);
        }

        class C
        {
            void M(MyLogger mine, ILogger logger)
            {
                [|mine.BeginScope("x")|];
                [|Scopes.BeginScope(logger, 1)|];
            }
        }
        """);

    // ------------------------------------------------------------------ silent look-alikes

    [Fact]
    public Task Using_finally_returned_stored_passed_and_captured_are_silent() => Verify.VerifyAnalyzerAsync(Usings + """
        class C
        {
            private IDisposable? field;
            private readonly List<IDisposable?> scopes = new();

            async Task UsingStatement(ILogger logger)
            {
                using (logger.BeginScope("x"))
                {
                    await Task.Delay(1);
                }
            }

            void UsingDeclaration(ILogger logger)
            {
                using var scope = logger.BeginScope("x");
                Work();
            }

            void UsingExistingLocal(ILogger logger)
            {
                var scope = logger.BeginScope("x");
                using (scope)
                {
                    Work();
                }
            }

            void Finally(ILogger logger)
            {
                var scope = logger.BeginScope("x");
                try
                {
                    Work();
                }
                finally
                {
                    scope?.Dispose();
                }
            }

            void NullChecked(ILogger logger)
            {
                var scope = logger.BeginScope("x");
                if (scope is null)
                {
                    return;
                }

                scope.Dispose();
            }

            IDisposable? Returned(ILogger logger) => logger.BeginScope("x");

            IDisposable? ReturnedLocal(ILogger logger)
            {
                var scope = logger.BeginScope("x");
                return scope;
            }

            void Stored(ILogger logger)
            {
                field = logger.BeginScope("x");
                scopes.Add(logger.BeginScope("y"));
            }

            void Passed(ILogger logger) => Track(logger.BeginScope("x"));

            void PassedLocal(ILogger logger)
            {
                var scope = logger.BeginScope("x");
                Track(scope);
            }

            Action Captured(ILogger logger)
            {
                var scope = logger.BeginScope("x");
                return () => scope?.Dispose();
            }

            void BegunAndEnded(ILogger logger) => logger.BeginScope("x")?.Dispose();

            IDisposable Coalesced(ILogger logger) => logger.BeginScope("x") ?? Nothing.Instance;

            static void Track(IDisposable? scope) => Tracked.Add(scope); // keeps it: the tracker disposes it later

            static readonly List<IDisposable?> Tracked = new();

            static void Work() { }
        }

        sealed class Nothing : IDisposable
        {
            public static readonly Nothing Instance = new();
            public void Dispose() { }
        }
        """);

    [Fact]
    public Task BeginScope_on_other_types_is_not_a_logging_scope() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class Tracker
        {
            public IDisposable BeginScope(string name) => new Nothing();
        }

        sealed class Nothing : IDisposable
        {
            public void Dispose() { }
        }

        class C
        {
            void M(Tracker tracker, ILogger logger)
            {
                tracker.BeginScope("x");
            }
        }
        """);

    [Fact]
    public async Task Bails_out_without_the_logging_abstractions()
    {
        var test = Verify.Create();
        test.References = ReferenceSet.DiagnosticSource;
        test.TestCode = """
            namespace Microsoft.Extensions.Logging
            {
                public interface ILogger { System.IDisposable? BeginScope<TState>(TState state) where TState : notnull; }
            }

            class C
            {
                void M(Microsoft.Extensions.Logging.ILogger logger) => logger.BeginScope("x");
            }
            """;
        await test.RunAsync();
    }

    [Fact]
    public async Task Half_typed_code_does_not_crash()
    {
        await CrashVerifier.AssertNoCrashAsync(Usings + """
            class C
            {
                void M(ILogger logger)
                {
                    logger.BeginScope(;
                    var s = logger.BeginScope(Missing);
                    Missing.BeginScope("x");
                    logger.BeginScope<>("x");
                    var t = logger.BeginScope("x")
                }
            }
            """, analyzers: System.Collections.Immutable.ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(new CTX106LoggingScopeNotDisposedAnalyzer()));
    }

    // ------------------------------------------------------------------ fix

    [Fact]
    public Task UseUsing_on_discarded_scopes_keeps_comments() => Verify.VerifyCodeFixAsync(Usings + Head + """
            void M(ILogger logger, int orderId)
            {
                // the order's scope
                [|logger.BeginScope("order {OrderId}", orderId)|]; // note
                _ = [|logger.BeginScope(orderId)|];
                Work();
            }
        }
        """, Usings + Head + """
            void M(ILogger logger, int orderId)
            {
                // the order's scope
                using var scope = logger.BeginScope("order {OrderId}", orderId); // note
                using var scope1 = logger.BeginScope(orderId);
                Work();
            }
        }
        """, CTX106LoggingScopeNotDisposedCodeFix.UseUsingKey);

    [Fact]
    public Task UseUsing_on_declared_scopes_across_methods() => Verify.VerifyCodeFixAsync(Usings + Head + """
            void A(ILogger logger)
            {
                var scope = [|logger.BeginScope("a")|];
                Work();
                scope?.Dispose();
            }

            async Task B(ILogger logger, bool skip)
            {
                IDisposable? scope = [|logger.BeginScope("b")|];
                if (skip)
                {
                    return;
                }

                await Task.Delay(1);
            }
        }
        """, Usings + Head + """
            void A(ILogger logger)
            {
                using var scope = logger.BeginScope("a");
                Work();
                scope?.Dispose();
            }

            async Task B(ILogger logger, bool skip)
            {
                using IDisposable? scope = logger.BeginScope("b");
                if (skip)
                {
                    return;
                }

                await Task.Delay(1);
            }
        }
        """, CTX106LoggingScopeNotDisposedCodeFix.UseUsingKey);

    [Fact]
    public Task No_fix_for_an_overwritten_local_or_outside_a_block() => Verify.VerifyNoCodeFixOfferedAsync(Usings + Head + """
                void Loop(ILogger logger, int[] ids)
                {
                    IDisposable? scope = null;
                    foreach (var id in ids)
                    {
                        scope = [|logger.BeginScope(id)|];
                    }

                    scope?.Dispose();
                }

                void Embedded(ILogger logger, bool on)
                {
                    if (on) [|logger.BeginScope("x")|];
                }
            }
            """, CTX106LoggingScopeNotDisposedCodeFix.UseUsingKey);
}
