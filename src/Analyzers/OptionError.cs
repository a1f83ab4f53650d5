using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace ContextAnalyzers
{
    /// <summary>
    /// One invalid entry of an option (CTX399): the descriptor whose sentence says what is wrong, and the names it fills
    /// in after the option's name (the entry, a file, a line number).
    /// </summary>
    internal readonly struct OptionError
    {
        public OptionError(DiagnosticDescriptor descriptor, params string[] names)
        {
            Descriptor = descriptor;
            Names = ImmutableArray.Create(names);
        }

        public DiagnosticDescriptor Descriptor { get; }

        public ImmutableArray<string> Names { get; }

        /// <summary>The diagnostic for <paramref name="option"/>, which is always the message's first argument.</summary>
        public Diagnostic ToDiagnostic(Location location, string option)
        {
            var arguments = new object[Names.Length + 1];
            arguments[0] = option;
            for (var i = 0; i < Names.Length; i++)
            {
                arguments[i + 1] = Names[i];
            }

            return Diagnostic.Create(Descriptor, location, arguments);
        }
    }
}
