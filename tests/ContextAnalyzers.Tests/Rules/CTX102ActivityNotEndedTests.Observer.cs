using Verify = ContextAnalyzers.Tests.Verification.AnalyzerVerifier<ContextAnalyzers.Rules.CTX102ActivityNotEndedAnalyzer>;

namespace ContextAnalyzers.Tests.Rules;

// A DiagnosticListener observer starts the activity in a Before event and stops it in the paired After event.
public partial class CTX102ActivityNotEndedTests
{
    [Fact]
    public Task DiagnosticListener_observer_ends_its_activities_in_the_paired_event() => Verify.VerifyAnalyzerAsync(Usings + """
        sealed class PublishObserver : IObserver<KeyValuePair<string, object?>>
        {
            static readonly ActivitySource Source = new("publish");

            public void OnNext(KeyValuePair<string, object?> evt)
            {
                switch (evt.Key)
                {
                    case "Publish.Before":
                        var activity = Source.StartActivity("publish", ActivityKind.Producer);
                        activity?.SetTag("messaging.system", "queue");
                        break;
                    case "Publish.After":
                        Activity.Current?.Stop();
                        break;
                }
            }

            public void OnCompleted() { }

            public void OnError(Exception error) { }
        }

        sealed class NotAnObserver
        {
            static readonly ActivitySource Source = new("publish");

            public void OnNext(KeyValuePair<string, object?> evt)
            {
                var activity = [|Source.StartActivity("publish", ActivityKind.Producer)|];
                activity?.SetTag("messaging.system", "queue");
            }
        }
        """);
}
