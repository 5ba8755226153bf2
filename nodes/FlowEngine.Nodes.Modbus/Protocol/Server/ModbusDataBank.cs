using FlowEngine.Nodes.Modbus.Protocol.Frames;

namespace FlowEngine.Nodes.Modbus.Protocol.Server;

/// <summary>An address range outside a table: the server answers IllegalDataAddress (§7, code 02).</summary>
public sealed class ModbusAddressException(string message) : Exception(message);

/// <summary>A change written into a bank by a remote client.</summary>
public sealed record ModbusBankWrite(ModbusArea Area, ushort StartAddress, ushort[]? Registers, bool[]? Bits, byte UnitId)
{
    public int Count => Registers?.Length ?? Bits?.Length ?? 0;
}

/// <summary>
/// In-memory coils, discrete inputs, holding and input registers. Remote clients and flows read and write it at the
/// same time, so every access takes one lock; accesses are short copies.
/// </summary>
public sealed class ModbusDataBank
{
    private readonly Lock _gate = new();
    private readonly bool[] _coils;
    private readonly bool[] _discreteInputs;
    private readonly ushort[] _holdingRegisters;
    private readonly ushort[] _inputRegisters;

    public ModbusDataBank(int coils = 10000, int discreteInputs = 10000, int holdingRegisters = 10000, int inputRegisters = 10000)
    {
        foreach (var size in new[] { coils, discreteInputs, holdingRegisters, inputRegisters })
        {
            // §4.4: addresses are 0..65535, so a table holds at most 65536 items.
            if (size is < 0 or > 65536) throw new ArgumentOutOfRangeException(nameof(coils), size, "a table holds 0..65536 items");
        }
        _coils = new bool[coils];
        _discreteInputs = new bool[discreteInputs];
        _holdingRegisters = new ushort[holdingRegisters];
        _inputRegisters = new ushort[inputRegisters];
    }

    public int Size(ModbusArea area) => area switch
    {
        ModbusArea.Coils => _coils.Length,
        ModbusArea.DiscreteInputs => _discreteInputs.Length,
        ModbusArea.HoldingRegisters => _holdingRegisters.Length,
        _ => _inputRegisters.Length,
    };

    public static bool IsBitArea(ModbusArea area) => area is ModbusArea.Coils or ModbusArea.DiscreteInputs;

    public bool[] ReadBits(ModbusArea area, int start, int count)
    {
        var table = BitTable(area);
        lock (_gate)
        {
            Check(area, table.Length, start, count);
            return table.AsSpan(start, count).ToArray();
        }
    }

    public ushort[] ReadRegisters(ModbusArea area, int start, int count)
    {
        var table = RegisterTable(area);
        lock (_gate)
        {
            Check(area, table.Length, start, count);
            return table.AsSpan(start, count).ToArray();
        }
    }

    public void WriteBits(ModbusArea area, int start, ReadOnlySpan<bool> values)
    {
        var table = BitTable(area);
        lock (_gate)
        {
            Check(area, table.Length, start, values.Length);
            values.CopyTo(table.AsSpan(start));
        }
    }

    public void WriteRegisters(ModbusArea area, int start, ReadOnlySpan<ushort> values)
    {
        var table = RegisterTable(area);
        lock (_gate)
        {
            Check(area, table.Length, start, values.Length);
            values.CopyTo(table.AsSpan(start));
        }
    }

    /// <summary>FC23 (§6.17): the write happens before the read, both under one lock so no one sees half of it.</summary>
    public ushort[] WriteThenReadHoldingRegisters(int writeStart, ReadOnlySpan<ushort> values, int readStart, int readCount)
    {
        lock (_gate)
        {
            Check(ModbusArea.HoldingRegisters, _holdingRegisters.Length, writeStart, values.Length);
            Check(ModbusArea.HoldingRegisters, _holdingRegisters.Length, readStart, readCount);
            values.CopyTo(_holdingRegisters.AsSpan(writeStart));
            return _holdingRegisters.AsSpan(readStart, readCount).ToArray();
        }
    }

    private bool[] BitTable(ModbusArea area) => area switch
    {
        ModbusArea.Coils => _coils,
        ModbusArea.DiscreteInputs => _discreteInputs,
        _ => throw new ArgumentException($"{area} holds registers, not bits", nameof(area)),
    };

    private ushort[] RegisterTable(ModbusArea area) => area switch
    {
        ModbusArea.HoldingRegisters => _holdingRegisters,
        ModbusArea.InputRegisters => _inputRegisters,
        _ => throw new ArgumentException($"{area} holds bits, not registers", nameof(area)),
    };

    private static void Check(ModbusArea area, int size, int start, int count)
    {
        if (start < 0 || count < 0 || start + count > size)
            throw new ModbusAddressException($"{area} {start}..{start + count - 1} is outside 0..{size - 1}");
    }
}

/// <summary>Answers requests from the tables of a <see cref="ModbusDataBank"/>.</summary>
public sealed class ModbusDataBankHandler(ModbusDataBank bank, Action<ModbusBankWrite>? written = null) : IModbusRequestHandler
{
    public ModbusDataBank Bank { get; } = bank;

    public ModbusResponse Handle(byte unitId, ModbusRequest request)
    {
        try
        {
            switch (request)
            {
                case ReadBitsRequest r:
                    return new ReadBitsResponse(r.Function, Bank.ReadBits(r.Function == ModbusFunction.ReadCoils ? ModbusArea.Coils : ModbusArea.DiscreteInputs, r.StartAddress, r.Quantity));
                case ReadRegistersRequest r:
                    return new ReadRegistersResponse(r.Function, Bank.ReadRegisters(
                        r.Function == ModbusFunction.ReadHoldingRegisters ? ModbusArea.HoldingRegisters : ModbusArea.InputRegisters, r.StartAddress, r.Quantity));
                case WriteSingleCoilRequest c:
                    Bank.WriteBits(ModbusArea.Coils, c.OutputAddress, [c.Value]);
                    written?.Invoke(new ModbusBankWrite(ModbusArea.Coils, c.OutputAddress, null, [c.Value], unitId));
                    return new WriteSingleCoilResponse(c.OutputAddress, c.Value);
                case WriteSingleRegisterRequest r:
                    Bank.WriteRegisters(ModbusArea.HoldingRegisters, r.RegisterAddress, [r.Value]);
                    written?.Invoke(new ModbusBankWrite(ModbusArea.HoldingRegisters, r.RegisterAddress, [r.Value], null, unitId));
                    return new WriteSingleRegisterResponse(r.RegisterAddress, r.Value);
                case WriteMultipleCoilsRequest c:
                    Bank.WriteBits(ModbusArea.Coils, c.StartAddress, c.Values);
                    written?.Invoke(new ModbusBankWrite(ModbusArea.Coils, c.StartAddress, null, c.Values, unitId));
                    return new WriteMultipleResponse(c.Function, c.StartAddress, (ushort)c.Values.Length);
                case WriteMultipleRegistersRequest r:
                    Bank.WriteRegisters(ModbusArea.HoldingRegisters, r.StartAddress, r.Values);
                    written?.Invoke(new ModbusBankWrite(ModbusArea.HoldingRegisters, r.StartAddress, r.Values, null, unitId));
                    return new WriteMultipleResponse(r.Function, r.StartAddress, (ushort)r.Values.Length);
                case ReadWriteMultipleRegistersRequest rw:
                    var read = Bank.WriteThenReadHoldingRegisters(rw.WriteStartAddress, rw.WriteValues, rw.ReadStartAddress, rw.ReadQuantity);
                    written?.Invoke(new ModbusBankWrite(ModbusArea.HoldingRegisters, rw.WriteStartAddress, rw.WriteValues, null, unitId));
                    return new ReadRegistersResponse(rw.Function, read);
                default:
                    return new ExceptionResponse(request.Function, ModbusExceptionCode.IllegalFunction);
            }
        }
        catch (ModbusAddressException)
        {
            return new ExceptionResponse(request.Function, ModbusExceptionCode.IllegalDataAddress);
        }
    }
}
