using System.Globalization;

namespace FlowEngine.Nodes.S7.Protocol;

/// <summary>A variable's value, or why it could not be read.</summary>
internal readonly record struct S7ReadResult(object? Value, S7Exception? Error);

/// <summary>A contiguous piece of one area that one or more variables fall in (bytes, or elements for T and C).</summary>
internal sealed record S7Range(S7Area Area, int DbNumber, int Start, int Length, IReadOnlyList<int> Variables);

/// <summary>
/// Reads and writes variables over one <see cref="S7Connection"/>, opened on first use and reopened after it broke.
/// Reads merge variables that lie close together, split what does not fit the PDU and pack items into as few requests
/// as the PDU size and the 20-item limit allow. Not a reconnect loop: the caller decides when to try again.
/// </summary>
internal sealed class S7Client(S7ConnectionOptions options) : IAsyncDisposable
{
    /// <summary>Unused bytes that may lie between two variables still read as one item: cheaper than another item header.</summary>
    public const int MaxMergeGap = 8;

    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private S7Connection? _connection;
    private bool _disposed;

    public S7ConnectionOptions Options { get; } = options;
    public bool IsConnected => _connection is { IsOpen: true };
    /// <summary>PDU size of the current (or last) connection; 0 before the first.</summary>
    public int PduSize { get; private set; }
    public long Connects { get; private set; }
    public long RequestsSent { get; private set; }

    /// <summary>Opens the connection when there is none (or it broke). Throws <see cref="S7ConnectionException"/>.</summary>
    public async Task<S7Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open) return open;
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsOpen: true } current) return current;
            if (_connection is { } stale) await stale.DisposeAsync().ConfigureAwait(false);
            _connection = null;
            var connection = await S7Connection.OpenAsync(Options, cancellationToken).ConfigureAwait(false);
            _connection = connection;
            PduSize = connection.PduSize;
            Connects++;
            return connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Closes the connection; the next request opens a new one.</summary>
    public async Task DisconnectAsync()
    {
        await _connectGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_connection is { } connection) await connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>
    /// Reads the variables: one result each. Items the PLC refuses fail alone (their result carries an
    /// <see cref="S7ItemException"/>); a lost connection or a timeout throws.
    /// </summary>
    public async Task<S7ReadResult[]> ReadAsync(IReadOnlyList<S7Address> variables, CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var results = new S7ReadResult[variables.Count];
        var ranges = MergeRanges(variables, MaxMergeGap);
        var retry = new List<int>();
        foreach (var (range, outcome) in await ReadRangesAsync(connection, ranges, cancellationToken).ConfigureAwait(false))
        {
            if (outcome.Error is not null && range.Variables.Count > 1)
            {
                // One bad neighbour (say, past the end of a DB) must not fail the good variables merged with it.
                retry.AddRange(range.Variables);
                continue;
            }
            Deliver(variables, results, range, outcome);
        }
        if (retry.Count > 0)
        {
            var alone = retry.Select(i => ToRange(variables[i], i)).ToList();
            foreach (var (range, outcome) in await ReadRangesAsync(connection, alone, cancellationToken).ConfigureAwait(false))
            {
                Deliver(variables, results, range, outcome);
            }
        }
        return results;
    }

    private static void Deliver(IReadOnlyList<S7Address> variables, S7ReadResult[] results, S7Range range, (byte[]? Data, S7ItemException? Error) outcome)
    {
        foreach (var index in range.Variables)
        {
            var variable = variables[index];
            if (outcome.Error is { } error)
            {
                results[index] = new S7ReadResult(null, new S7ItemException(error.Code, variable.Text));
                continue;
            }
            var unitSize = variable.IsTimerOrCounter ? 2 : 1;
            var offset = (variable.ByteOffset - range.Start) * unitSize;
            try
            {
                results[index] = new S7ReadResult(S7Values.Decode(variable, outcome.Data.AsSpan(offset, variable.ByteLength)), null);
            }
            catch (S7ProtocolException ex)
            {
                results[index] = new S7ReadResult(null, ex);
            }
        }
    }

    private async Task<List<(S7Range Range, (byte[]? Data, S7ItemException? Error) Outcome)>> ReadRangesAsync(
        S7Connection connection, IReadOnlyList<S7Range> ranges, CancellationToken cancellationToken)
    {
        var chunks = new List<(int Range, int Offset, S7Item Item)>();
        for (var r = 0; r < ranges.Count; r++)
        {
            foreach (var (offset, item) in SplitRange(ranges[r], connection.PduSize)) chunks.Add((r, offset, item));
        }
        var buffers = ranges.Select(r => new byte[r.Length * (r.Area is S7Area.Timers or S7Area.Counters ? 2 : 1)]).ToArray();
        var errors = new S7ItemException?[ranges.Count];
        foreach (var request in PackReads(chunks.Select(c => c.Item).ToList(), connection.PduSize))
        {
            var items = request.Select(i => chunks[i].Item).ToList();
            var answer = await connection.ExchangeAsync(reference => S7Codec.ReadRequest(reference, items), cancellationToken).ConfigureAwait(false);
            RequestsSent++;
            var itemResults = S7Codec.ParseReadResponse(answer, items);
            for (var k = 0; k < request.Count; k++)
            {
                var (range, offset, item) = chunks[request[k]];
                var result = itemResults[k];
                if (result.Code != S7ReturnCode.Success)
                {
                    errors[range] ??= new S7ItemException(result.Code, item.ToString());
                    continue;
                }
                var unitSize = item.TransportSize is S7TransportSize.Timer or S7TransportSize.Counter ? 2 : 1;
                result.Data.CopyTo(buffers[range], offset * unitSize);
            }
        }
        return ranges.Select((range, r) => (range, errors[r] is { } error ? ((byte[]?)null, (S7ItemException?)error) : (buffers[r], null))).ToList();
    }

    /// <summary>Writes a value to a variable; throws <see cref="S7ItemException"/> when the PLC refuses it.</summary>
    public async Task WriteAsync(S7Address variable, object? value, CancellationToken cancellationToken)
    {
        List<(S7Item Item, byte[] Data)> pieces;
        if (variable.Type == S7DataType.Bit)
        {
            // Bits go as BIT items, so the PLC changes only that bit and not its neighbours in the same byte.
            var bits = S7Values.EncodeBits(variable, value);
            pieces = bits.Select((bit, i) =>
            {
                var absolute = variable.BitOffset + i;
                return (new S7Item(variable.Area, variable.DbNumber, S7TransportSize.Bit, variable.ByteOffset + absolute / 8, absolute % 8, 1), new byte[] { (byte)(bit ? 1 : 0) });
            }).ToList();
        }
        else
        {
            var bytes = S7Values.Encode(variable, value);
            var connectionForSize = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            pieces = SplitWrite(variable, bytes, connectionForSize.PduSize);
        }
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        foreach (var request in PackWrites(pieces.Select(p => p.Item).ToList(), connection.PduSize))
        {
            var items = request.Select(i => pieces[i].Item).ToList();
            var data = request.Select(i => pieces[i].Data).ToList();
            var answer = await connection.ExchangeAsync(reference => S7Codec.WriteRequest(reference, items, data), cancellationToken).ConfigureAwait(false);
            RequestsSent++;
            var codes = S7Codec.ParseWriteResponse(answer, items.Count);
            for (var k = 0; k < codes.Length; k++)
            {
                if (codes[k] != S7ReturnCode.Success) throw new S7ItemException(codes[k], variable.Text);
            }
        }
    }

    // ---- planning, pure and testable ----

    /// <summary>Groups variables by area and DB and merges those that overlap or lie within <paramref name="maxGap"/>.</summary>
    internal static List<S7Range> MergeRanges(IReadOnlyList<S7Address> variables, int maxGap)
    {
        var merged = new List<S7Range>();
        foreach (var group in variables.Select((v, i) => ToRange(v, i)).GroupBy(r => (r.Area, r.DbNumber)))
        {
            S7Range? current = null;
            // Timers and counters are merged only when contiguous: a gap would read timers nobody asked for.
            var gap = group.Key.Area is S7Area.Timers or S7Area.Counters ? 0 : maxGap;
            foreach (var range in group.OrderBy(r => r.Start))
            {
                if (current is not null && range.Start <= current.Start + current.Length + gap)
                {
                    var end = Math.Max(current.Start + current.Length, range.Start + range.Length);
                    current = current with { Length = end - current.Start, Variables = [.. current.Variables, .. range.Variables] };
                    continue;
                }
                if (current is not null) merged.Add(current);
                current = range;
            }
            if (current is not null) merged.Add(current);
        }
        return merged;
    }

    private static S7Range ToRange(S7Address variable, int index) => variable.IsTimerOrCounter
        ? new S7Range(variable.Area, 0, variable.ByteOffset, variable.Count, [index])
        : new S7Range(variable.Area, variable.DbNumber, variable.ByteOffset, variable.ByteLength, [index]);

    /// <summary>Cuts a range into items whose answer fits the PDU on its own (offset in the range's units, item).</summary>
    internal static IEnumerable<(int Offset, S7Item Item)> SplitRange(S7Range range, int pduSize)
    {
        var isTimerOrCounter = range.Area is S7Area.Timers or S7Area.Counters;
        var maxBytes = (pduSize - S7Codec.ResponseOverhead - S7Codec.DataItemHeaderLength) & ~1;
        var maxUnits = isTimerOrCounter ? maxBytes / 2 : maxBytes;
        var transport = range.Area switch
        {
            S7Area.Timers => S7TransportSize.Timer,
            S7Area.Counters => S7TransportSize.Counter,
            _ => S7TransportSize.Byte,
        };
        for (var offset = 0; offset < range.Length; offset += maxUnits)
        {
            var count = Math.Min(maxUnits, range.Length - offset);
            yield return (offset, new S7Item(range.Area, range.DbNumber, transport, range.Start + offset, 0, count));
        }
    }

    /// <summary>Groups items (by index) into requests whose request and answer both fit the PDU, at most 20 items each.</summary>
    internal static List<List<int>> PackReads(IReadOnlyList<S7Item> items, int pduSize)
    {
        var requests = new List<List<int>>();
        var current = new List<int>();
        for (var i = 0; i < items.Count; i++)
        {
            var candidate = current.Select(k => items[k]).Append(items[i]);
            var (request, response) = S7Codec.ReadSizes(candidate);
            if (current.Count > 0 && (current.Count == S7Codec.MaxItemsPerRequest || request > pduSize || response > pduSize))
            {
                requests.Add(current);
                current = [];
            }
            current.Add(i);
        }
        if (current.Count > 0) requests.Add(current);
        return requests;
    }

    internal static List<List<int>> PackWrites(IReadOnlyList<S7Item> items, int pduSize)
    {
        var requests = new List<List<int>>();
        var current = new List<int>();
        for (var i = 0; i < items.Count; i++)
        {
            var size = S7Codec.WriteSize(current.Select(k => items[k]).Append(items[i]));
            if (current.Count > 0 && (current.Count == S7Codec.MaxItemsPerRequest || size > pduSize))
            {
                requests.Add(current);
                current = [];
            }
            current.Add(i);
        }
        if (current.Count > 0) requests.Add(current);
        return requests;
    }

    internal static List<(S7Item Item, byte[] Data)> SplitWrite(S7Address variable, byte[] bytes, int pduSize)
    {
        var maxBytes = (pduSize - S7Codec.RequestOverhead - S7Codec.RequestItemLength - S7Codec.DataItemHeaderLength) & ~1;
        var pieces = new List<(S7Item, byte[])>();
        if (variable.IsTimerOrCounter)
        {
            var transport = variable.Area == S7Area.Timers ? S7TransportSize.Timer : S7TransportSize.Counter;
            var perItem = maxBytes / 2;
            for (var n = 0; n < variable.Count; n += perItem)
            {
                var count = Math.Min(perItem, variable.Count - n);
                pieces.Add((new S7Item(variable.Area, 0, transport, variable.ByteOffset + n, 0, count), bytes[(n * 2)..((n + count) * 2)]));
            }
            return pieces;
        }
        for (var offset = 0; offset < bytes.Length; offset += maxBytes)
        {
            var length = Math.Min(maxBytes, bytes.Length - offset);
            pieces.Add((new S7Item(variable.Area, variable.DbNumber, S7TransportSize.Byte, variable.ByteOffset + offset, 0, length), bytes[offset..(offset + length)]));
        }
        return pieces;
    }

    public async ValueTask DisposeAsync()
    {
        await _connectGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_connection is { } connection) await connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"S7 {Options.Endpoint}");
}
