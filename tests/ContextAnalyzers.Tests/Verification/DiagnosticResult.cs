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

    public DiagnosticResult WithLocation(int markupKey) => this with { MarkupKey = markupKey };

    public DiagnosticResult WithSpan(string path, TextSpan span) => this with { Path = path, Span = span };

    public DiagnosticResult WithNoLocation() => this with { NoLocation = true };

    public DiagnosticResult WithArguments(params object?[] arguments) => this with { Arguments = arguments };

    public DiagnosticResult WithMessage(string message) => this with { Message = message };

    public DiagnosticResult WithSeverity(DiagnosticSeverity severity) => this with { Severity = severity };
}
