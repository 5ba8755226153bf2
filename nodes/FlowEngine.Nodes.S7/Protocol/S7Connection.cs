using System.Globalization;
using System.Net.Sockets;

namespace FlowEngine.Nodes.S7.Protocol;

/// <summary>Where and how to connect: TSAPs come from rack/slot or are given directly.</summary>
internal sealed record S7ConnectionOptions
{
    public required string Host { get; init; }
    public int Port { get; init; } = 102;
    public ushort LocalTsap { get; init; } = 0x0100;
    public ushort RemoteTsap { get; init; } = 0x0102;
    /// <summary>Asked for in Setup Communication; the PLC answers with what it can do (240 on S7-300, 480 on S7-400/1200, 960 on S7-1500).</summary>
    public int RequestedPduSize { get; init; } = 960;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
}

/// <summary>
/// One ISO-on-TCP connection with S7 communication set up. One request at a time: S7-300/400 CPUs and Snap7 grant one
/// or a few parallel jobs, and sequential requests keep the PDU reference check simple. A timeout or a broken frame
/// closes the connection (a late answer would otherwise be taken for the next request's).
/// </summary>
internal sealed class S7Connection : IAsyncDisposable
{
    private readonly S7ConnectionOptions _options;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _header = new byte[S7Codec.TpktHeaderLength];
    private ushort _nextReference;
    private volatile bool _broken;

    private S7Connection(S7ConnectionOptions options, Socket socket)
    {
        _options = options;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>The PDU size granted by the PLC: the limit for every request and every answer.</summary>
    public int PduSize { get; private set; }

    public bool IsOpen => !_broken;

    public long RequestsSent { get; private set; }

    /// <summary>TCP connect, COTP connection request/confirm, S7 Setup Communication.</summary>
    public static async Task<S7Connection> OpenAsync(S7ConnectionOptions options, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        S7Connection? connection = null;
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, linked.Token).ConfigureAwait(false);
            connection = new S7Connection(options, socket);
            await connection._stream.WriteAsync(S7Codec.ConnectionRequest(options.LocalTsap, options.RemoteTsap), linked.Token).ConfigureAwait(false);
            var confirm = await connection.ReadTpktAsync(linked.Token).ConfigureAwait(false);
            S7Codec.ParseConnectionConfirm(confirm);
            var setup = await connection.ExchangeAsync(reference => S7Codec.SetupCommunicationRequest(reference, options.RequestedPduSize), linked.Token)
                .ConfigureAwait(false);
            connection.PduSize = Math.Min(S7Codec.ParseSetupCommunicationResponse(setup), options.RequestedPduSize);
            return connection;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or S7Exception)
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            else socket.Dispose();
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            if (ex is S7Exception and not S7TimeoutException) throw;
            var reason = ex switch
            {
                OperationCanceledException or S7TimeoutException => string.Create(CultureInfo.InvariantCulture, $"no answer within {options.ConnectTimeout.TotalMilliseconds:0} ms"),
                SocketException socketError => socketError.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : socketError.Message,
                _ => ex.Message,
            };
            throw new S7ConnectionException($"cannot connect to {options.Endpoint}: {reason}", ex);
        }
    }

    /// <summary>Sends one S7 job (built with the PDU reference given) and returns the matching answer.</summary>
    public async Task<byte[]> ExchangeAsync(Func<ushort, byte[]> buildJob, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_broken) throw new S7ConnectionException($"the connection to {_options.Endpoint} is closed");
            var reference = ++_nextReference;
            var job = buildJob(reference);
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await _stream.WriteAsync(S7Codec.DataTpdu(job), linked.Token).ConfigureAwait(false);
                RequestsSent++;
                var answer = await ReadS7PduAsync(linked.Token).ConfigureAwait(false);
                var header = S7Codec.ParseHeader(answer);
                // Answers to abandoned requests cannot arrive (a timeout closes the connection), so a wrong reference
                // means the PLC is confused: a protocol error that also closes the connection.
                if (header.PduReference != reference)
                    throw new S7ProtocolException(string.Create(CultureInfo.InvariantCulture, $"answer carries PDU reference {header.PduReference}, expected {reference}"));
                return answer;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                _broken = true;
                throw new S7TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{_options.Endpoint} did not answer within {_options.RequestTimeout.TotalMilliseconds:0} ms"));
            }
            catch (OperationCanceledException)
            {
                _broken = true;
                throw;
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                _broken = true;
                throw new S7ConnectionException($"connection to {_options.Endpoint} lost: {ex.Message}", ex);
            }
            catch (S7ProtocolException)
            {
                _broken = true;
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads COTP data TPDUs until the one with end-of-transmission and joins their user data.</summary>
    private async Task<byte[]> ReadS7PduAsync(CancellationToken cancellationToken)
    {
        List<byte>? joined = null;
        while (true)
        {
            var frame = await ReadTpktAsync(cancellationToken).ConfigureAwait(false);
            var data = S7Codec.ParseDataTpdu(frame, out var last);
            if (last && joined is null) return data.ToArray();
            joined ??= [];
            joined.AddRange(data);
            if (last) return [.. joined];
        }
    }

    private async Task<byte[]> ReadTpktAsync(CancellationToken cancellationToken)
    {
        await ReadExactlyAsync(_header, cancellationToken).ConfigureAwait(false);
        var length = S7Codec.ParseTpktLength(_header);
        var payload = new byte[length - S7Codec.TpktHeaderLength];
        await ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return payload;
    }

    private async Task ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw new IOException("the PLC closed the connection", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _broken = true;
        // The gate is not disposed: a request waiting on it must fail with "closed", not ObjectDisposedException.
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
