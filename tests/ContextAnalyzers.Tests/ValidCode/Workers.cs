using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using ValidCode.Infrastructure;

namespace ValidCode.Workers;

/// <summary>A background loop: every iteration is its own root span, nothing inherited from whoever started the worker.</summary>
public sealed class OutboxWorker : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public OutboxWorker(ILogger logger) => _logger = logger;

    public void Start()
    {
        // Started without the caller's context: the loop must not join the trace of the request that started it.
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token));
        }
    }

    public async ValueTask DisposeAsync()
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

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            using var activity = Telemetry.Source.StartActivity("outbox flush", ActivityKind.Internal);
            try
            {
                var sent = await FlushAsync(cancellationToken).ConfigureAwait(false);
                activity?.SetTag("outbox.sent", sent);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                _logger.LogError(ex, "Outbox flush failed");
            }
        }
    }

    private static async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        return 0;
    }
}

/// <summary>The non-capturing timer pattern (as in grpc-dotnet and Npgsql): suppress flow while the timer is created, restore in finally.</summary>
public sealed class KeepAlivePinger : IDisposable
{
    private readonly Timer _timer;
    private readonly ILogger _logger;

    public KeepAlivePinger(ILogger logger)
    {
        _logger = logger;
        var restoreFlow = false;
        try
        {
            if (!ExecutionContext.IsFlowSuppressed())
            {
                ExecutionContext.SuppressFlow();
                restoreFlow = true;
            }

            _timer = new Timer(static state => ((KeepAlivePinger)state!).Ping(), this, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));
        }
        finally
        {
            if (restoreFlow)
            {
                ExecutionContext.RestoreFlow();
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Ping()
    {
        using var activity = Telemetry.Source.StartActivity("keepalive ping", ActivityKind.Client);
        _logger.LogDebug("ping");
    }
}

/// <summary>Work handed to the thread pool with the flowing APIs, outside any span this method started.</summary>
public sealed class CacheWarmer
{
    private readonly ILogger _logger;

    public CacheWarmer(ILogger logger) => _logger = logger;

    public void WarmInBackground(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            ThreadPool.QueueUserWorkItem(static state => state.Logger.LogDebug("warming {Key}", state.Key), (Logger: _logger, Key: key), preferLocal: false);
        }
    }

    public Thread StartDedicatedThread(Action work)
    {
        var thread = new Thread(() => work()) { IsBackground = true, Name = "cache-warmer" };
        thread.Start();
        return thread;
    }

    /// <summary>Infrastructure code: the callback touches no telemetry, so not flowing the context is deliberate and harmless.</summary>
    public void Nudge(int[] counters)
    {
        ThreadPool.UnsafeQueueUserWorkItem(static state => Interlocked.Increment(ref state[0]), counters, preferLocal: false);
    }
}
