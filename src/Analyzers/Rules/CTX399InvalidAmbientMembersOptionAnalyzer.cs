using System.Collections.Immutable;
using ContextAnalyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ContextAnalyzers.Rules
{
    /// <summary>
    /// CTX399 for <c>ctx_analyzers.ambient_members</c>: an entry that is not a documentation ID, resolves to nothing, or
    /// names a member that is not static and settable (see <see cref="AmbientMembers"/>). The invalid entry is ignored and
    /// the rest of the option applies. Reported once per distinct option value, on the first token of the first file
    /// the value applies to (the option names members of the whole project, not of a file).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CTX399InvalidAmbientMembersOptionAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.InvalidOptionDocumentationId,
            Descriptors.InvalidOptionNoSuchMember,
            Descriptors.InvalidOptionPropertyNotSettable,
            Descriptors.InvalidOptionFieldNotContext,
            Descriptors.InvalidOptionTypeWithoutContext);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var ambient = AmbientMembers.Get(start.Compilation);
                if (!ambient.MayHaveMembers(start.Options, start.CancellationToken))
                {
                    return;
                }

                start.RegisterSyntaxTreeAction(tree =>
                {
                    var set = ambient.For(tree.Tree, tree.Options, tree.CancellationToken);
                    if (set.Errors.IsEmpty || !ambient.IsFirstFileOfItsOption(tree.Tree, tree.Options))
                    {
                        return;
                    }

                    var first = tree.Tree.GetRoot(tree.CancellationToken).GetFirstToken();
                    var location = first.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.None) ? Location.Create(tree.Tree, default) : first.GetLocation();
                    foreach (var error in set.Errors)
                    {
                        tree.ReportDiagnostic(error.ToDiagnostic(location, AmbientMembers.MembersOption));
                    }
                });
            });
        }
    }
}
