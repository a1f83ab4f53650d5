using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ContextAnalyzers.Tests.Verification;

/// <summary>An expected diagnostic. Built from markup, or explicitly and completed with a markup location key.</summary>
public sealed record DiagnosticResult
{
    public DiagnosticResult(string id) => Id = id;

    public string Id { get; init; }

    /// <summary>Null: not checked.</summary>
    public DiagnosticSeverity? Severity { get; init; }

    /// <summary>Null: not checked. Compared with <see cref="object.ToString"/> of each argument.</summary>
    public IReadOnlyList<object?>? Arguments { get; init; }

    /// <summary>Null: not checked. The full formatted message.</summary>
    public string? Message { get; init; }

    /// <summary>The <c>{|#n:...|}</c> key this expectation takes its location from.</summary>
    public int? MarkupKey { get; init; }

    /// <summary>An explicit location (file and span) once resolved.</summary>
    public string? Path { get; init; }

    public TextSpan? Span { get; init; }

    /// <summary>True: the diagnostic is expected to have no source location.</summary>
    public bool NoLocation { get; init; }

    /// <summary>The <c>{|#n:...|}</c> keys of the additional locations, in order (a second <see cref="WithLocation"/> adds one).</summary>
    public IReadOnlyList<int> AdditionalMarkupKeys { get; init; } = Array.Empty<int>();

    /// <summary>The additional locations once resolved; empty: not checked unless keys were given.</summary>
    public IReadOnlyList<TextSpan> AdditionalSpans { get; init; } = Array.Empty<TextSpan>();

    /// <summary>The first call sets the location; each later call adds an additional location (as Microsoft.CodeAnalysis.Testing does).</summary>
    public DiagnosticResult WithLocation(int markupKey) => MarkupKey is null
        ? this with { MarkupKey = markupKey }
        : this with { AdditionalMarkupKeys = AdditionalMarkupKeys.Append(markupKey).ToArray() };

    public DiagnosticResult WithSpan(string path, TextSpan span) => this with { Path = path, Span = span };

    public DiagnosticResult WithNoLocation() => this with { NoLocation = true };

    public DiagnosticResult WithArguments(params object?[] arguments) => this with { Arguments = arguments };

    public DiagnosticResult WithMessage(string message) => this with { Message = message };

    public DiagnosticResult WithSeverity(DiagnosticSeverity severity) => this with { Severity = severity };
}
