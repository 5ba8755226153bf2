using System.IO.Pipelines;
using FlowEngine.Nodes.Modbus.Protocol.Codec;
using FlowEngine.Nodes.Modbus.Protocol.Frames;
using FlowEngine.Nodes.Modbus.Protocol.Transport;

namespace FlowEngine.Nodes.Modbus.Tests.Protocol;

/// <summary>A pair of connected in-memory streams: the client's side and a scripted server's side.</summary>
internal sealed class DuplexStream(PipeReader input, PipeWriter output) : Stream
{
    private readonly Stream _reading = input.AsStream();
    private readonly Stream _writing = output.AsStream();

    public static (DuplexStream Client, DuplexStream Server) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexStream(toClient.Reader, toServer.Writer), new DuplexStream(toServer.Reader, toClient.Writer));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => _reading.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _reading.ReadAsync(buffer, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => _writing.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _writing.WriteAsync(buffer, cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writing.Dispose();
            _reading.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>The server end of an in-memory connection: the test reads requests and answers them in any order.</summary>
internal sealed class ScriptedServer(DuplexStream stream) : IAsyncDisposable
{
    private readonly ModbusFrameReader _reader = new(stream);

    public async Task<(ModbusTcpFrame Frame, ModbusRequest Request)> NextRequestAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        var frame = await _reader.ReadFrameAsync(cts.Token) ?? throw new EndOfStreamException("client closed the connection");
        return (frame, ModbusPduCodec.DecodeRequest(frame.Pdu));
    }

    public async Task<bool> NoRequestWithinAsync(TimeSpan wait)
    {
        try
        {
            await NextRequestAsync(wait);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async Task AnswerAsync(ushort transactionId, byte unitId, ModbusResponse response) =>
        await stream.WriteAsync(ModbusTcpCodec.EncodeResponse(transactionId, unitId, response));

    public void Close() => stream.Dispose();

    public ValueTask DisposeAsync()
    {
        stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
