using System;
using System.Collections.Generic;

namespace ContextAnalyzers.Corpus
{
    /// <summary>What to generate. Same options, same bytes: the corpus is a pure function of these values.</summary>
    public sealed record CorpusOptions
    {
        /// <summary>Seed of the pseudo-random choices (names, sizes, which files get which mistake).</summary>
        public int Seed { get; init; } = 20261121;

        /// <summary>Number of module files to generate (the shared infrastructure files come on top).</summary>
        public int FileCount { get; init; } = 2000;

        /// <summary>
        /// With OpenTelemetry instrumentation (activities, baggage, propagators). Without it the same services are
        /// generated with no telemetry at all and must compile without OpenTelemetry or DiagnosticSource: the bail-out input.
        /// </summary>
        public bool Instrumented { get; init; } = true;

        /// <summary>Probability that a file that can host mistakes gets a given mistake family (independently per family).</summary>
        public double MistakeRate { get; init; } = 0.02;

        /// <summary>Seed every mistake family at least once, in the first files that can host it (for small test corpora).</summary>
        public bool EnsureEveryMistake { get; init; }

        /// <summary>Only these families are seeded (null: all of <see cref="MistakeFamilies.All"/>).</summary>
        public IReadOnlyCollection<string>? Families { get; init; }

        /// <summary>The benchmark corpus: 2,700 files, about 314k lines, a few percent of each mistake.</summary>
        public static CorpusOptions Benchmark { get; } = new CorpusOptions { FileCount = 2700 };

        /// <summary>A small corpus for unit tests with every mistake family present.</summary>
        public static CorpusOptions Small(int files = 60) => new CorpusOptions { FileCount = files, EnsureEveryMistake = true };
    }

    /// <summary>One generated file.</summary>
    public sealed class CorpusFile
    {
        /// <summary>Creates a file.</summary>
        public CorpusFile(string path, string text, IReadOnlyList<string> mistakes)
        {
            Path = path;
            Text = text;
            Mistakes = mistakes;
        }

        /// <summary>Relative path such as <c>Orders/M017/OrderService.cs</c>.</summary>
        public string Path { get; }

        /// <summary>The C# source.</summary>
        public string Text { get; }

        /// <summary>The rule IDs of the mistakes seeded into this file (each marked in the code by a <c>// seeded: CTXnnn</c> comment).</summary>
        public IReadOnlyList<string> Mistakes { get; }

        /// <summary>Number of lines.</summary>
        public int LineCount
        {
            get
            {
                var n = 1;
                foreach (var c in Text)
                {
                    if (c == '\n')
                    {
                        n++;
                    }
                }

                return n;
            }
        }
    }
}
