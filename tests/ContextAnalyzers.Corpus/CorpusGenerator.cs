using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace ContextAnalyzers.Corpus
{
    /// <summary>
    /// Generates ordinary service code (models, validators, mappers, repositories, services, request handlers, message
    /// consumers, publishers, background workers, query helpers) with OpenTelemetry instrumentation done right, plus a
    /// few percent of each mistake family. Deterministic: the output is a pure function of <see cref="CorpusOptions"/>.
    /// </summary>
    public static class CorpusGenerator
    {
        private static readonly (string Domain, string Entity)[] Domains =
        {
            ("Orders", "Order"), ("Billing", "Invoice"), ("Inventory", "StockItem"), ("Shipping", "Shipment"),
            ("Customers", "CustomerProfile"), ("Catalog", "Product"), ("Payments", "Payment"), ("Notifications", "Notification"),
            ("Search", "SearchDocument"), ("Identity", "Account"), ("Pricing", "PriceList"), ("Reviews", "Review"),
            ("Returns", "ReturnRequest"), ("Loyalty", "RewardAccount"), ("Scheduling", "Appointment"), ("Documents", "Document"),
        };

        private static readonly string[] Regions = { "eu-west", "eu-north", "us-east", "us-west", "ap-south", "ap-east", "sa-east" };

        private static readonly string[] Channels = { "web", "mobile", "partner", "batch", "support" };

        internal enum Kind
        {
            Models,
            Validator,
            Mapper,
            Repository,
            Service,
            Handler,
            Consumer,
            Publisher,
            Worker,
            Queries,
        }

        private static readonly Kind[] Kinds = (Kind[])Enum.GetValues(typeof(Kind));

        private static readonly Kind[] MistakeHosts = { Kind.Service, Kind.Handler, Kind.Consumer, Kind.Publisher, Kind.Worker };

        /// <summary>The shared infrastructure files plus <see cref="CorpusOptions.FileCount"/> module files.</summary>
        public static IReadOnlyList<CorpusFile> Generate(CorpusOptions options)
        {
            if (options is null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            var rng = new Random(options.Seed);
            var families = (options.Families ?? MistakeFamilies.All).ToList();
            var notYetSeeded = new Queue<string>(options.EnsureEveryMistake ? families : new List<string>());
            var files = new List<CorpusFile>(options.FileCount + 4);
            files.AddRange(Infrastructure(options.Instrumented));

            var generated = 0;
            for (var moduleIndex = 0; generated < options.FileCount; moduleIndex++)
            {
                var (domain, entity) = Domains[moduleIndex % Domains.Length];
                var module = new Module(domain, entity, moduleIndex, options.Instrumented, new Random(rng.Next()));
                foreach (var kind in Kinds)
                {
                    if (generated == options.FileCount)
                    {
                        break;
                    }

                    var mistakes = new List<string>();
                    if (options.Instrumented && Array.IndexOf(MistakeHosts, kind) >= 0)
                    {
                        if (notYetSeeded.Count > 0)
                        {
                            mistakes.Add(notYetSeeded.Dequeue());
                        }

                        foreach (var family in families)
                        {
                            if (rng.NextDouble() < options.MistakeRate && !mistakes.Contains(family))
                            {
                                mistakes.Add(family);
                            }
                        }
                    }

                    var text = module.Render(kind, mistakes);
                    files.Add(new CorpusFile($"{domain}/M{moduleIndex:D3}/{entity}{kind}.cs", text, mistakes));
                    generated++;
                }
            }

            return files;
        }

        /// <summary>Applies the instrumentation markers: a line starting with <c>§</c> exists only in the instrumented corpus.</summary>
        internal static string Instrument(string text, bool instrumented)
        {
            var sb = new StringBuilder(text.Length);
            foreach (var rawLine in text.Split('\n'))
            {
                var line = rawLine.TrimEnd('\r');
                var trimmed = line.TrimStart();
                if (trimmed.StartsWith("§", StringComparison.Ordinal))
                {
                    if (!instrumented)
                    {
                        continue;
                    }

                    var at = line.IndexOf('§');
                    line = line.Remove(at, 1);
                }

                sb.Append(line).Append('\n');
            }

            return sb.ToString();
        }

        private static IEnumerable<CorpusFile> Infrastructure(bool instrumented)
        {
            yield return new CorpusFile("Infrastructure/Messaging.cs", Instrument("""
                using System;
                using System.Collections.Generic;
                using System.Threading;
                using System.Threading.Tasks;

                namespace Contoso.Infrastructure;

                /// <summary>A broker message: headers carry the trace context.</summary>
                public sealed class Message
                {
                    public Message(string topic, string body)
                    {
                        Topic = topic;
                        Body = body;
                    }

                    public string Id { get; init; } = Guid.NewGuid().ToString("N");

                    public string Topic { get; }

                    public string Body { get; }

                    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

                    public int DeliveryCount { get; set; }
                }

                public interface IMessageBus
                {
                    Task PublishAsync(Message message, CancellationToken cancellationToken);
                }

                public interface ILog
                {
                    void Info(string message);

                    void Error(Exception exception, string message);
                }

                public sealed class ConsoleLog : ILog
                {
                    public void Info(string message) => Console.WriteLine(message);

                    public void Error(Exception exception, string message) => Console.Error.WriteLine(message + ": " + exception.Message);
                }

                /// <summary>Carrier accessors for header dictionaries.</summary>
                public static class HeaderCarrier
                {
                    public static readonly Func<Dictionary<string, string>, string, IEnumerable<string>> Getter =
                        static (headers, key) => headers.TryGetValue(key, out var value) ? new[] { value } : Array.Empty<string>();

                    public static readonly Action<Dictionary<string, string>, string, string> Setter =
                        static (headers, key, value) => headers[key] = value;
                }

                public sealed class RequestContext
                {
                    public RequestContext(string method, string path)
                    {
                        Method = method;
                        Path = path;
                    }

                    public string Method { get; }

                    public string Path { get; }

                    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

                    public Dictionary<string, string> Query { get; } = new(StringComparer.OrdinalIgnoreCase);

                    public string? Body { get; init; }
                }

                public sealed record Response(int StatusCode, string? Body)
                {
                    public static Response Ok(string body) => new(200, body);

                    public static Response Created(string location) => new(201, location);

                    public static Response NotFound() => new(404, null);

                    public static Response BadRequest(IEnumerable<string> errors) => new(400, string.Join("; ", errors));

                    public static Response Error(int status, string message) => new(status, message);
                }
                """, instrumented), Array.Empty<string>());

            if (instrumented)
            {
                yield return new CorpusFile("Infrastructure/Telemetry.cs", """
                    using System.Diagnostics;

                    namespace Contoso.Infrastructure;

                    /// <summary>The service's one ActivitySource, created once.</summary>
                    public static class Telemetry
                    {
                        public const string ServiceName = "Contoso.Services";

                        public static readonly ActivitySource Source = new(ServiceName, "1.0.0");

                        public static void RecordException(Activity? activity, System.Exception exception)
                        {
                            if (activity is null)
                            {
                                return;
                            }

                            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
                            activity.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection
                            {
                                { "exception.type", exception.GetType().FullName },
                                { "exception.message", exception.Message },
                            }));
                        }
                    }
                    """, Array.Empty<string>());
            }
        }

        private sealed class Module
        {
            private readonly string domain;
            private readonly string e;
            private readonly string ns;
            private readonly string lower;
            private readonly string plural;
            private readonly bool instrumented;
            private readonly Random rng;
            private readonly int extraMethods;
            private readonly string region;
            private readonly string channel;

            public Module(string domain, string entity, int index, bool instrumented, Random rng)
            {
                this.domain = domain;
                e = entity;
                ns = $"Contoso.{domain}.M{index:D3}";
                lower = char.ToLowerInvariant(entity[0]) + entity.Substring(1);
                plural = domain.ToLowerInvariant();
                this.instrumented = instrumented;
                this.rng = rng;
                extraMethods = 1 + rng.Next(4);
                region = Regions[rng.Next(Regions.Length)];
                channel = Channels[rng.Next(Channels.Length)];
            }

            public string Render(Kind kind, IReadOnlyList<string> mistakes)
            {
                var body = kind switch
                {
                    Kind.Models => Models(),
                    Kind.Validator => Validator(),
                    Kind.Mapper => Mapper(),
                    Kind.Repository => Repository(),
                    Kind.Service => Service(mistakes),
                    Kind.Handler => Handler(mistakes),
                    Kind.Consumer => Consumer(mistakes),
                    Kind.Publisher => Publisher(mistakes),
                    Kind.Worker => Worker(mistakes),
                    _ => Queries(),
                };
                return Instrument(body, instrumented);
            }

            private string Usings(bool telemetry) =>
                "using System;\nusing System.Collections.Concurrent;\nusing System.Collections.Generic;\n" +
                (telemetry ? "§using System.Diagnostics;\n" : string.Empty) +
                "using System.Globalization;\nusing System.Linq;\nusing System.Text;\nusing System.Threading;\nusing System.Threading.Channels;\nusing System.Threading.Tasks;\n" +
                (telemetry ? "§using OpenTelemetry;\n§using OpenTelemetry.Context.Propagation;\n" : string.Empty) +
                "using Contoso.Infrastructure;\n\nnamespace " + ns + ";\n\n";

            private string Mistakes(IReadOnlyList<string> mistakes)
            {
                var sb = new StringBuilder();
                foreach (var id in mistakes)
                {
                    sb.Append('\n').Append(MistakeFamilies.Render(id, e).TrimEnd()).Append('\n');
                }

                return sb.ToString();
            }

            private string Models() => Usings(false) + $$"""
                public enum {{e}}Status
                {
                    Draft,
                    Submitted,
                    Approved,
                    Rejected,
                    Completed,
                    Cancelled,
                }

                /// <summary>The {{lower}} aggregate of the {{domain}} module.</summary>
                public sealed class {{e}}
                {
                    public Guid Id { get; set; } = Guid.NewGuid();

                    public string TenantId { get; set; } = string.Empty;

                    public string Reference { get; set; } = string.Empty;

                    public string CustomerEmail { get; set; } = string.Empty;

                    public string Region { get; set; } = "{{region}}";

                    public string Channel { get; set; } = "{{channel}}";

                    public decimal Amount { get; set; }

                    public int Quantity { get; set; }

                    public {{e}}Status Status { get; set; }

                    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

                    public DateTimeOffset? UpdatedAt { get; set; }

                    public List<string> Tags { get; } = new();

                    public int Version { get; set; }

                    public bool IsTerminal => Status is {{e}}Status.Completed or {{e}}Status.Cancelled or {{e}}Status.Rejected;

                    public override string ToString() => $"{{e}} {Reference} ({Status}, {Amount.ToString("0.00", CultureInfo.InvariantCulture)})";
                }

                public sealed record {{e}}Dto(Guid Id, string Reference, decimal Amount, int Quantity, string Status, DateTimeOffset CreatedAt, IReadOnlyList<string> Tags);

                public sealed record Create{{e}}Request(string TenantId, string Reference, decimal Amount, int Quantity, string Region, IReadOnlyList<string>? Tags);

                public sealed record Update{{e}}Request(Guid Id, decimal? Amount, int? Quantity, string? Region, int ExpectedVersion);

                public sealed record {{e}}Summary(string Region, int Count, decimal Total, decimal Average);

                public sealed record {{e}}Changed(Guid Id, string TenantId, string Status, int Version, DateTimeOffset At);

                public sealed record PagedResult<T>(IReadOnlyList<T> Items, int Total, int Skip, int Take)
                {
                    public bool HasMore => Skip + Items.Count < Total;
                }

                public sealed class {{e}}NotFoundException : Exception
                {
                    public {{e}}NotFoundException(Guid id)
                        : base($"{{e}} {id} was not found.")
                    {
                        Id = id;
                    }

                    public Guid Id { get; }
                }

                public sealed class {{e}}ConcurrencyException : Exception
                {
                    public {{e}}ConcurrencyException(Guid id, int expected, int actual)
                        : base($"{{e}} {id} is at version {actual}, not {expected}.")
                    {
                    }
                }
                """;

            private string Validator() => Usings(false) + $$"""
                public static class {{e}}Validator
                {
                    private const int MaxReferenceLength = {{16 + rng.Next(48)}};
                    private const int MaxTags = {{4 + rng.Next(12)}};
                    private static readonly HashSet<string> KnownRegions = new(StringComparer.OrdinalIgnoreCase) { {{string.Join(", ", Regions.Select(r => "\"" + r + "\""))}} };

                    public static IReadOnlyList<string> Validate(Create{{e}}Request request)
                    {
                        var errors = new List<string>();
                        if (string.IsNullOrWhiteSpace(request.TenantId))
                        {
                            errors.Add("TenantId is required.");
                        }

                        if (!IsValidReference(request.Reference))
                        {
                            errors.Add($"Reference '{request.Reference}' is not valid.");
                        }

                        if (request.Amount < 0 || request.Amount > {{1000 + rng.Next(100000)}}m)
                        {
                            errors.Add("Amount is out of range.");
                        }

                        if (request.Quantity <= 0)
                        {
                            errors.Add("Quantity must be positive.");
                        }

                        if (!KnownRegions.Contains(request.Region))
                        {
                            errors.Add($"Region '{request.Region}' is unknown.");
                        }

                        var tags = request.Tags ?? Array.Empty<string>();
                        if (tags.Count > MaxTags)
                        {
                            errors.Add($"At most {MaxTags} tags are allowed.");
                        }

                        foreach (var tag in tags)
                        {
                            if (tag.Length == 0 || tag.Length > 32 || tag.Any(char.IsWhiteSpace))
                            {
                                errors.Add($"Tag '{tag}' is not valid.");
                            }
                        }

                        return errors;
                    }

                    public static IReadOnlyList<string> Validate(Update{{e}}Request request, {{e}} current)
                    {
                        var errors = new List<string>();
                        if (current.IsTerminal)
                        {
                            errors.Add($"{{e}} {current.Id} is {current.Status} and cannot change.");
                        }

                        if (request.Amount is decimal amount && amount < 0)
                        {
                            errors.Add("Amount cannot be negative.");
                        }

                        if (request.Quantity is int quantity && quantity <= 0)
                        {
                            errors.Add("Quantity must be positive.");
                        }

                        if (request.Region is { } region && !KnownRegions.Contains(region))
                        {
                            errors.Add($"Region '{region}' is unknown.");
                        }

                        return errors;
                    }

                    public static bool IsValidReference(string? reference)
                    {
                        if (string.IsNullOrEmpty(reference) || reference.Length > MaxReferenceLength)
                        {
                            return false;
                        }

                        for (var i = 0; i < reference.Length; i++)
                        {
                            var c = reference[i];
                            var ok = char.IsLetterOrDigit(c) || c == '-' || c == '_' || (c == '.' && i > 0 && i < reference.Length - 1);
                            if (!ok)
                            {
                                return false;
                            }
                        }

                        return true;
                    }
                }
                """;

            private string Mapper() => Usings(false) + $$"""
                public static class {{e}}Mapper
                {
                    public static {{e}}Dto ToDto({{e}} entity) =>
                        new(entity.Id, entity.Reference, entity.Amount, entity.Quantity, entity.Status.ToString(), entity.CreatedAt, entity.Tags.ToArray());

                    public static {{e}} ToEntity(Create{{e}}Request request)
                    {
                        var entity = new {{e}}
                        {
                            TenantId = request.TenantId.Trim(),
                            Reference = request.Reference.Trim().ToUpperInvariant(),
                            Amount = decimal.Round(request.Amount, 2, MidpointRounding.ToEven),
                            Quantity = request.Quantity,
                            Region = request.Region.ToLowerInvariant(),
                            Status = {{e}}Status.Draft,
                        };
                        if (request.Tags is not null)
                        {
                            entity.Tags.AddRange(request.Tags.Select(t => t.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal));
                        }

                        return entity;
                    }

                    public static void Apply(Update{{e}}Request request, {{e}} entity)
                    {
                        if (request.Amount is decimal amount)
                        {
                            entity.Amount = decimal.Round(amount, 2, MidpointRounding.ToEven);
                        }

                        if (request.Quantity is int quantity)
                        {
                            entity.Quantity = quantity;
                        }

                        entity.Region = request.Region ?? entity.Region;
                        entity.UpdatedAt = DateTimeOffset.UtcNow;
                        entity.Version++;
                    }

                    public static {{e}}Changed ToEvent({{e}} entity) => new(entity.Id, entity.TenantId, entity.Status.ToString(), entity.Version, entity.UpdatedAt ?? entity.CreatedAt);

                    public static string ToCsvLine({{e}} entity)
                    {
                        var sb = new StringBuilder();
                        sb.Append(entity.Id.ToString("D")).Append(',');
                        sb.Append(Escape(entity.Reference)).Append(',');
                        sb.Append(entity.Amount.ToString(CultureInfo.InvariantCulture)).Append(',');
                        sb.Append(entity.Quantity.ToString(CultureInfo.InvariantCulture)).Append(',');
                        sb.Append(entity.Status).Append(',');
                        sb.Append(Escape(string.Join(";", entity.Tags)));
                        return sb.ToString();
                    }

                    private static string Escape(string value) =>
                        value.IndexOfAny(new[] { ',', '"', '\n' }) < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";
                }
                """;

            private string Repository() => Usings(true) + $$"""
                public interface I{{e}}Repository
                {
                    Task<{{e}}?> FindAsync(Guid id, CancellationToken cancellationToken);

                    Task<PagedResult<{{e}}>> ListAsync(string tenantId, int skip, int take, CancellationToken cancellationToken);

                    Task SaveAsync({{e}} entity, int expectedVersion, CancellationToken cancellationToken);

                    Task<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken);
                }

                public sealed class InMemory{{e}}Repository : I{{e}}Repository
                {
                    private readonly ConcurrentDictionary<Guid, {{e}}> _items = new();

                    public async Task<{{e}}?> FindAsync(Guid id, CancellationToken cancellationToken)
                    {
                        §using var activity = Telemetry.Source.StartActivity("SELECT {{plural}}", ActivityKind.Client);
                        §activity?.SetTag("db.system", "inmemory");
                        §activity?.SetTag("db.operation.name", "SELECT");
                        await Task.Yield();
                        cancellationToken.ThrowIfCancellationRequested();
                        return _items.TryGetValue(id, out var item) ? item : null;
                    }

                    public async Task<PagedResult<{{e}}>> ListAsync(string tenantId, int skip, int take, CancellationToken cancellationToken)
                    {
                        §using var activity = Telemetry.Source.StartActivity("SELECT {{plural}} page", ActivityKind.Client);
                        §activity?.SetTag("db.system", "inmemory");
                        await Task.Yield();
                        var query = _items.Values
                            .Where(x => string.Equals(x.TenantId, tenantId, StringComparison.Ordinal))
                            .OrderByDescending(x => x.CreatedAt)
                            .ThenBy(x => x.Reference, StringComparer.Ordinal);
                        var total = query.Count();
                        var page = query.Skip(skip).Take(take).ToList();
                        §activity?.SetTag("db.response.returned_rows", page.Count);
                        return new PagedResult<{{e}}>(page, total, skip, take);
                    }

                    public Task SaveAsync({{e}} entity, int expectedVersion, CancellationToken cancellationToken)
                    {
                        §using var activity = Telemetry.Source.StartActivity("UPSERT {{plural}}", ActivityKind.Client);
                        cancellationToken.ThrowIfCancellationRequested();
                        var stored = _items.AddOrUpdate(
                            entity.Id,
                            entity,
                            (id, existing) => existing.Version == expectedVersion ? entity : throw new {{e}}ConcurrencyException(id, expectedVersion, existing.Version));
                        §activity?.SetTag("entity.version", stored.Version);
                        return Task.CompletedTask;
                    }

                    public async Task<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
                    {
                        §using var activity = Telemetry.Source.StartActivity("DELETE {{plural}}", ActivityKind.Client);
                        var removed = 0;
                        foreach (var pair in _items)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            if (pair.Value.IsTerminal && (pair.Value.UpdatedAt ?? pair.Value.CreatedAt) < olderThan && _items.TryRemove(pair.Key, out _))
                            {
                                removed++;
                            }

                            if (removed % 100 == 99)
                            {
                                await Task.Yield();
                            }
                        }

                        §activity?.SetTag("db.response.deleted_rows", removed);
                        return removed;
                    }
                }
                """;

            private string Service(IReadOnlyList<string> mistakes) => Usings(true) + $$"""
                public sealed class {{e}}Service
                {
                    private readonly I{{e}}Repository _repository;
                    private readonly {{e}}Publisher _publisher;
                    private readonly ILog _log;

                    public {{e}}Service(I{{e}}Repository repository, {{e}}Publisher publisher, ILog log)
                    {
                        _repository = repository;
                        _publisher = publisher;
                        _log = log;
                    }

                    public async Task<{{e}}Dto?> GetAsync(Guid id, CancellationToken cancellationToken)
                    {
                        §using var activity = Telemetry.Source.StartActivity("{{e}}Service.Get");
                        §activity?.SetTag("{{lower}}.id", id);
                        var entity = await _repository.FindAsync(id, cancellationToken).ConfigureAwait(false);
                        if (entity is null)
                        {
                            §activity?.SetStatus(ActivityStatusCode.Error, "not found");
                            return null;
                        }

                        return {{e}}Mapper.ToDto(entity);
                    }

                    public async Task<{{e}}Dto> CreateAsync(Create{{e}}Request request, CancellationToken cancellationToken)
                    {
                        §using var activity = Telemetry.Source.StartActivity("{{e}}Service.Create");
                        §var tenant = Baggage.GetBaggage("tenant.id") ?? request.TenantId;
                        §activity?.SetTag("tenant.id", tenant);
                        var errors = {{e}}Validator.Validate(request);
                        if (errors.Count > 0)
                        {
                            throw new ArgumentException(string.Join(" ", errors), nameof(request));
                        }

                        var entity = {{e}}Mapper.ToEntity(request);
                        await _repository.SaveAsync(entity, entity.Version, cancellationToken).ConfigureAwait(false);
                        await _publisher.PublishChangedAsync(entity, cancellationToken).ConfigureAwait(false);
                        _log.Info($"created {entity}");
                        return {{e}}Mapper.ToDto(entity);
                    }

                    public async Task<{{e}}Dto> UpdateAsync(Update{{e}}Request request, CancellationToken cancellationToken)
                    {
                        §using var activity = Telemetry.Source.StartActivity("{{e}}Service.Update");
                        var entity = await _repository.FindAsync(request.Id, cancellationToken).ConfigureAwait(false)
                            ?? throw new {{e}}NotFoundException(request.Id);
                        var errors = {{e}}Validator.Validate(request, entity);
                        if (errors.Count > 0)
                        {
                            throw new ArgumentException(string.Join(" ", errors), nameof(request));
                        }

                        var expected = entity.Version;
                        {{e}}Mapper.Apply(request, entity);
                        try
                        {
                            await _repository.SaveAsync(entity, expected, cancellationToken).ConfigureAwait(false);
                        }
                        catch ({{e}}ConcurrencyException ex)
                        {
                            §Telemetry.RecordException(activity, ex);
                            throw;
                        }

                        await _publisher.PublishChangedAsync(entity, cancellationToken).ConfigureAwait(false);
                        return {{e}}Mapper.ToDto(entity);
                    }

                    public async Task<IReadOnlyList<{{e}}Summary>> SummarizeAsync(string tenantId, CancellationToken cancellationToken)
                    {
                        §using var activity = Telemetry.Source.StartActivity("{{e}}Service.Summarize");
                        var page = await _repository.ListAsync(tenantId, 0, 1000, cancellationToken).ConfigureAwait(false);
                        var tasks = page.Items
                            .GroupBy(x => x.Region)
                            .Select(g => Task.Run(() => Summarize(g.Key, g.ToList()), cancellationToken))
                            .ToList();
                        var summaries = await Task.WhenAll(tasks).ConfigureAwait(false);
                        §activity?.SetTag("summary.regions", summaries.Length);
                        return summaries.OrderBy(s => s.Region, StringComparer.Ordinal).ToList();
                    }

                    public T WithTenant<T>(string tenantId, Func<T> action)
                    {
                        §var previous = Baggage.Current;
                        §Baggage.SetBaggage("tenant.id", tenantId);
                        §try
                        §{
                            return action();
                        §}
                        §finally
                        §{
                        §    Baggage.Current = previous;
                        §}
                    }

                    public void Warm(IEnumerable<Guid> ids)
                    {
                        foreach (var id in ids)
                        {
                            ThreadPool.QueueUserWorkItem(static state => state.Item1.Info($"warming {state.Item2}"), (_log, id), preferLocal: false);
                        }
                    }

                    private static {{e}}Summary Summarize(string region, IReadOnlyList<{{e}}> items)
                    {
                        var total = 0m;
                        var count = 0;
                        foreach (var item in items)
                        {
                            if (item.Status == {{e}}Status.Cancelled)
                            {
                                continue;
                            }

                            total += item.Amount * item.Quantity;
                            count++;
                        }

                        return new {{e}}Summary(region, count, total, count == 0 ? 0 : decimal.Round(total / count, 2));
                    }
                {{ExtraMethods()}}{{Mistakes(mistakes)}}}
                """;

            private string Handler(IReadOnlyList<string> mistakes) => Usings(true) + $$"""
                public sealed class {{e}}Handler
                {
                    private readonly {{e}}Service _service;
                    private readonly ILog _log;

                    public {{e}}Handler({{e}}Service service, ILog log)
                    {
                        _service = service;
                        _log = log;
                    }

                    public async Task<Response> HandleAsync(RequestContext request, CancellationToken cancellationToken)
                    {
                        §var parent = Propagators.DefaultTextMapPropagator.Extract(default, request.Headers, HeaderCarrier.Getter);
                        §var previous = Baggage.Current;
                        §Baggage.Current = parent.Baggage;
                        §try
                        §{
                            §using var activity = Telemetry.Source.StartActivity($"{request.Method} /{{plural}}", ActivityKind.Server, parent.ActivityContext);
                            §activity?.SetTag("http.request.method", request.Method);
                            §activity?.SetTag("url.path", request.Path);
                            try
                            {
                                var response = request.Method switch
                                {
                                    "GET" => await GetAsync(request, cancellationToken).ConfigureAwait(false),
                                    "POST" => await PostAsync(request, cancellationToken).ConfigureAwait(false),
                                    "PUT" => await PutAsync(request, cancellationToken).ConfigureAwait(false),
                                    _ => Response.Error(405, "Method not allowed."),
                                };
                                §activity?.SetTag("http.response.status_code", response.StatusCode);
                                return response;
                            }
                            catch (ArgumentException ex)
                            {
                                return Response.BadRequest(new[] { ex.Message });
                            }
                            catch ({{e}}NotFoundException)
                            {
                                return Response.NotFound();
                            }
                            catch (Exception ex) when (ex is not OperationCanceledException)
                            {
                                §Telemetry.RecordException(activity, ex);
                                _log.Error(ex, "request failed");
                                return Response.Error(500, "Internal error.");
                            }
                        §}
                        §finally
                        §{
                        §    Baggage.Current = previous;
                        §}
                    }

                    private async Task<Response> GetAsync(RequestContext request, CancellationToken cancellationToken)
                    {
                        if (!request.Query.TryGetValue("id", out var raw) || !Guid.TryParse(raw, out var id))
                        {
                            return Response.BadRequest(new[] { "A valid id is required." });
                        }

                        var dto = await _service.GetAsync(id, cancellationToken).ConfigureAwait(false);
                        return dto is null ? Response.NotFound() : Response.Ok(Describe(dto));
                    }

                    private async Task<Response> PostAsync(RequestContext request, CancellationToken cancellationToken)
                    {
                        var fields = Parse(request.Body);
                        var create = new Create{{e}}Request(
                            fields.GetValueOrDefault("tenant") ?? string.Empty,
                            fields.GetValueOrDefault("reference") ?? string.Empty,
                            decimal.TryParse(fields.GetValueOrDefault("amount"), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) ? amount : -1,
                            int.TryParse(fields.GetValueOrDefault("quantity"), out var quantity) ? quantity : 0,
                            fields.GetValueOrDefault("region") ?? "{{region}}",
                            fields.GetValueOrDefault("tags")?.Split(',', StringSplitOptions.RemoveEmptyEntries));
                        var dto = await _service.CreateAsync(create, cancellationToken).ConfigureAwait(false);
                        return Response.Created($"/{{plural}}/{dto.Id}");
                    }

                    private async Task<Response> PutAsync(RequestContext request, CancellationToken cancellationToken)
                    {
                        var fields = Parse(request.Body);
                        if (!Guid.TryParse(fields.GetValueOrDefault("id"), out var id))
                        {
                            return Response.BadRequest(new[] { "A valid id is required." });
                        }

                        var update = new Update{{e}}Request(
                            id,
                            decimal.TryParse(fields.GetValueOrDefault("amount"), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) ? amount : null,
                            int.TryParse(fields.GetValueOrDefault("quantity"), out var quantity) ? quantity : null,
                            fields.GetValueOrDefault("region"),
                            int.TryParse(fields.GetValueOrDefault("version"), out var version) ? version : 0);
                        var dto = await _service.UpdateAsync(update, cancellationToken).ConfigureAwait(false);
                        return Response.Ok(Describe(dto));
                    }

                    private static Dictionary<string, string> Parse(string? body)
                    {
                        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                        if (string.IsNullOrEmpty(body))
                        {
                            return result;
                        }

                        foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
                        {
                            var at = pair.IndexOf('=');
                            if (at > 0)
                            {
                                result[Uri.UnescapeDataString(pair[..at])] = Uri.UnescapeDataString(pair[(at + 1)..]);
                            }
                        }

                        return result;
                    }

                    private static string Describe({{e}}Dto dto) =>
                        $"{dto.Id:D} {dto.Reference} {dto.Amount.ToString("0.00", CultureInfo.InvariantCulture)} x{dto.Quantity} [{string.Join(",", dto.Tags)}]";
                {{Mistakes(mistakes)}}}
                """;

            private string Consumer(IReadOnlyList<string> mistakes) => Usings(true) + $$"""
                public sealed class {{e}}Consumer
                {
                    private readonly I{{e}}Repository _repository;
                    private readonly ILog _log;
                    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

                    public {{e}}Consumer(I{{e}}Repository repository, ILog log)
                    {
                        _repository = repository;
                        _log = log;
                    }

                    public async Task<bool> HandleAsync(Message message, CancellationToken cancellationToken)
                    {
                        if (!_seen.TryAdd(message.Id, DateTimeOffset.UtcNow))
                        {
                            _log.Info($"duplicate {message.Id}");
                            return true;
                        }

                        §var parent = Propagators.DefaultTextMapPropagator.Extract(default, message.Headers, HeaderCarrier.Getter);
                        §var previous = Baggage.Current;
                        §Baggage.Current = parent.Baggage;
                        §try
                        §{
                            §using var activity = Telemetry.Source.StartActivity($"{message.Topic} process", ActivityKind.Consumer, parent.ActivityContext);
                            §activity?.SetTag("messaging.system", "contoso-bus");
                            §activity?.SetTag("messaging.destination.name", message.Topic);
                            §activity?.SetTag("messaging.message.id", message.Id);
                            try
                            {
                                var changed = Parse(message.Body);
                                var entity = await _repository.FindAsync(changed.Id, cancellationToken).ConfigureAwait(false);
                                if (entity is null || entity.Version >= changed.Version)
                                {
                                    return true;
                                }

                                var expected = entity.Version;
                                entity.Status = Enum.TryParse<{{e}}Status>(changed.Status, out var status) ? status : entity.Status;
                                entity.Version = changed.Version;
                                await _repository.SaveAsync(entity, expected, cancellationToken).ConfigureAwait(false);
                                return true;
                            }
                            catch (Exception ex) when (ex is FormatException or {{e}}ConcurrencyException)
                            {
                                §Telemetry.RecordException(activity, ex);
                                _log.Error(ex, $"cannot process {message.Id}");
                                return message.DeliveryCount >= {{3 + rng.Next(5)}};
                            }
                        §}
                        §finally
                        §{
                        §    Baggage.Current = previous;
                        §}
                    }

                    public async Task<int> DrainAsync(ChannelReader<Message> reader, CancellationToken cancellationToken)
                    {
                        var handled = 0;
                        await foreach (var message in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                        {
                            message.DeliveryCount++;
                            if (await HandleAsync(message, cancellationToken).ConfigureAwait(false))
                            {
                                handled++;
                            }
                        }

                        return handled;
                    }

                    public int Forget(TimeSpan age)
                    {
                        var cutoff = DateTimeOffset.UtcNow - age;
                        var removed = 0;
                        foreach (var pair in _seen)
                        {
                            if (pair.Value < cutoff && _seen.TryRemove(pair.Key, out _))
                            {
                                removed++;
                            }
                        }

                        return removed;
                    }

                    private static {{e}}Changed Parse(string body)
                    {
                        var parts = body.Split('|');
                        if (parts.Length != 5)
                        {
                            throw new FormatException($"Expected 5 fields, got {parts.Length}.");
                        }

                        return new {{e}}Changed(
                            Guid.Parse(parts[0]),
                            parts[1],
                            parts[2],
                            int.Parse(parts[3], CultureInfo.InvariantCulture),
                            DateTimeOffset.Parse(parts[4], CultureInfo.InvariantCulture));
                    }
                {{Mistakes(mistakes)}}}
                """;

            private string Publisher(IReadOnlyList<string> mistakes) => Usings(true) + $$"""
                public sealed class {{e}}Publisher
                {
                    private readonly IMessageBus _bus;
                    private readonly ILog _log;
                    private readonly Channel<Message> _outbox = Channel.CreateBounded<Message>(new BoundedChannelOptions({{64 << rng.Next(4)}}) { FullMode = BoundedChannelFullMode.Wait });

                    public {{e}}Publisher(IMessageBus bus, ILog log)
                    {
                        _bus = bus;
                        _log = log;
                    }

                    public ChannelReader<Message> Outbox => _outbox.Reader;

                    public async Task PublishChangedAsync({{e}} entity, CancellationToken cancellationToken)
                    {
                        var changed = {{e}}Mapper.ToEvent(entity);
                        var message = new Message("{{plural}}.changed", string.Join("|", changed.Id, changed.TenantId, changed.Status, changed.Version, changed.At.ToString("O", CultureInfo.InvariantCulture)));
                        §using (var activity = Telemetry.Source.StartActivity("{{plural}}.changed publish", ActivityKind.Producer))
                        §{
                            §activity?.SetTag("messaging.destination.name", message.Topic);
                            §var context = activity?.Context ?? Activity.Current?.Context ?? default;
                            §Propagators.DefaultTextMapPropagator.Inject(new PropagationContext(context, Baggage.Current), message.Headers, HeaderCarrier.Setter);
                        §}

                        await EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
                    }

                    public async Task<int> FlushAsync(CancellationToken cancellationToken)
                    {
                        var sent = 0;
                        while (_outbox.Reader.TryRead(out var message))
                        {
                            try
                            {
                                await _bus.PublishAsync(message, cancellationToken).ConfigureAwait(false);
                                sent++;
                            }
                            catch (Exception ex) when (ex is not OperationCanceledException)
                            {
                                _log.Error(ex, $"publish of {message.Id} failed, re-queued");
                                await EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
                                break;
                            }
                        }

                        return sent;
                    }

                    private ValueTask EnqueueAsync(Message message, CancellationToken cancellationToken) => _outbox.Writer.WriteAsync(message, cancellationToken);
                {{Mistakes(mistakes)}}}
                """;

            private string Worker(IReadOnlyList<string> mistakes) => Usings(true) + $$"""
                public sealed class {{e}}CleanupWorker : IDisposable
                {
                    private readonly I{{e}}Repository _repository;
                    private readonly {{e}}Publisher _publisher;
                    private readonly ILog _log;
                    private readonly CancellationTokenSource _stopping = new();
                    private System.Threading.Timer? _timer;
                    private Task? _loop;

                    public {{e}}CleanupWorker(I{{e}}Repository repository, {{e}}Publisher publisher, ILog log)
                    {
                        _repository = repository;
                        _publisher = publisher;
                        _log = log;
                    }

                    public void Start()
                    {
                        _loop = Task.Run(() => RunAsync(_stopping.Token));
                        var restoreFlow = false;
                        try
                        {
                            if (!ExecutionContext.IsFlowSuppressed())
                            {
                                ExecutionContext.SuppressFlow();
                                restoreFlow = true;
                            }

                            _timer = new System.Threading.Timer(static state => ((({{e}}CleanupWorker)state!)).OnHeartbeat(), this, TimeSpan.FromSeconds({{5 + rng.Next(55)}}), TimeSpan.FromSeconds(30));
                        }
                        finally
                        {
                            if (restoreFlow)
                            {
                                ExecutionContext.RestoreFlow();
                            }
                        }
                    }

                    public async Task StopAsync()
                    {
                        _stopping.Cancel();
                        if (_loop is not null)
                        {
                            try
                            {
                                await _loop.ConfigureAwait(false);
                            }
                            catch (OperationCanceledException)
                            {
                            }
                        }
                    }

                    public void Dispose()
                    {
                        _timer?.Dispose();
                        _stopping.Dispose();
                    }

                    private async Task RunAsync(CancellationToken stoppingToken)
                    {
                        using var timer = new PeriodicTimer(TimeSpan.FromMinutes({{1 + rng.Next(30)}}));
                        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                        {
                            §using var activity = Telemetry.Source.StartActivity("{{lower}} cleanup", ActivityKind.Internal);
                            try
                            {
                                var removed = await _repository.PurgeAsync(DateTimeOffset.UtcNow.AddDays(-{{7 + rng.Next(90)}}), stoppingToken).ConfigureAwait(false);
                                var sent = await _publisher.FlushAsync(stoppingToken).ConfigureAwait(false);
                                §activity?.SetTag("cleanup.removed", removed);
                                §activity?.SetTag("outbox.sent", sent);
                            }
                            catch (Exception ex) when (ex is not OperationCanceledException)
                            {
                                §Telemetry.RecordException(activity, ex);
                                _log.Error(ex, "cleanup failed");
                            }
                        }
                    }

                    private void OnHeartbeat()
                    {
                        §using var activity = Telemetry.Source.StartActivity("{{lower}} heartbeat", ActivityKind.Internal);
                        _log.Info($"{{lower}} worker alive at {DateTimeOffset.UtcNow:O}");
                    }
                {{Mistakes(mistakes)}}}
                """;

            private string Queries() => Usings(false) + $$"""
                public static class {{e}}Queries
                {
                    public static IReadOnlyList<{{e}}Summary> ByRegion(IEnumerable<{{e}}> items) =>
                        (from item in items
                         where item.Status != {{e}}Status.Cancelled
                         group item by item.Region into g
                         let total = g.Sum(x => x.Amount * x.Quantity)
                         orderby total descending
                         select new {{e}}Summary(g.Key, g.Count(), total, g.Count() == 0 ? 0 : total / g.Count())).ToList();

                    public static IEnumerable<IReadOnlyList<T>> Batch<T>(IEnumerable<T> source, int size)
                    {
                        var batch = new List<T>(size);
                        foreach (var item in source)
                        {
                            batch.Add(item);
                            if (batch.Count == size)
                            {
                                yield return batch;
                                batch = new List<T>(size);
                            }
                        }

                        if (batch.Count > 0)
                        {
                            yield return batch;
                        }
                    }

                    public static decimal Percentile(IReadOnlyList<{{e}}> items, double percentile)
                    {
                        if (items.Count == 0)
                        {
                            return 0;
                        }

                        var sorted = items.Select(x => x.Amount).OrderBy(x => x).ToArray();
                        var rank = percentile / 100.0 * (sorted.Length - 1);
                        var low = (int)Math.Floor(rank);
                        var high = (int)Math.Ceiling(rank);
                        return low == high ? sorted[low] : sorted[low] + (sorted[high] - sorted[low]) * (decimal)(rank - low);
                    }

                    public static Dictionary<{{e}}Status, int> CountByStatus(IEnumerable<{{e}}> items)
                    {
                        var counts = new Dictionary<{{e}}Status, int>();
                        foreach (var item in items)
                        {
                            counts[item.Status] = counts.TryGetValue(item.Status, out var n) ? n + 1 : 1;
                        }

                        return counts;
                    }

                    public static string Classify({{e}} item) => item switch
                    {
                        { IsTerminal: true } => "closed",
                        { Amount: > {{500 + rng.Next(5000)}}m, Quantity: > 1 } => "large",
                        { Tags.Count: > 3 } => "tagged",
                        { UpdatedAt: null } => "new",
                        _ => "regular",
                    };

                    public static IEnumerable<(string Tag, int Count)> TopTags(IEnumerable<{{e}}> items, int take) =>
                        items.SelectMany(x => x.Tags)
                             .GroupBy(t => t, StringComparer.Ordinal)
                             .Select(g => (g.Key, g.Count()))
                             .OrderByDescending(t => t.Item2)
                             .ThenBy(t => t.Key, StringComparer.Ordinal)
                             .Take(take);
                {{ExtraQueries()}}}
                """;

            private string ExtraMethods()
            {
                var sb = new StringBuilder();
                for (var i = 0; i < extraMethods; i++)
                {
                    var factor = 1 + rng.Next(9);
                    sb.Append($$"""

                        public async Task<int> Reprice{{i}}Async(string tenantId, decimal factor, CancellationToken cancellationToken)
                        {
                            §using var activity = Telemetry.Source.StartActivity("{{e}}Service.Reprice{{i}}");
                            §activity?.SetTag("reprice.factor", (double)factor);
                            var changed = 0;
                            for (var skip = 0; ; skip += 100)
                            {
                                var page = await _repository.ListAsync(tenantId, skip, 100, cancellationToken).ConfigureAwait(false);
                                foreach (var item in page.Items.Where(x => !x.IsTerminal))
                                {
                                    var expected = item.Version;
                                    item.Amount = decimal.Round(item.Amount * factor * {{factor}}m / {{factor}}m, 2);
                                    item.Version++;
                                    await _repository.SaveAsync(item, expected, cancellationToken).ConfigureAwait(false);
                                    changed++;
                                }

                                if (!page.HasMore)
                                {
                                    break;
                                }
                            }

                            §activity?.SetTag("reprice.changed", changed);
                            return changed;
                        }

                    """);
                }

                return sb.ToString();
            }

            private string ExtraQueries()
            {
                var sb = new StringBuilder();
                for (var i = 0; i < extraMethods; i++)
                {
                    sb.Append($$"""

                        public static decimal Weighted{{i}}(IReadOnlyList<{{e}}> items, Func<{{e}}, decimal> weight)
                        {
                            var sum = 0m;
                            var weights = 0m;
                            for (var k = 0; k < items.Count; k++)
                            {
                                var w = weight(items[k]);
                                if (w <= 0)
                                {
                                    continue;
                                }

                                sum += items[k].Amount * w;
                                weights += w;
                            }

                            return weights == 0 ? 0 : sum / weights * {{1 + i}};
                        }

                    """);
                }

                return sb.ToString();
            }
        }
    }
}
