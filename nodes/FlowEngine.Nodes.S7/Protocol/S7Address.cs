using System.Globalization;
using System.Text.RegularExpressions;

namespace FlowEngine.Nodes.S7.Protocol;

/// <summary>Memory areas of an S7 CPU with their S7comm area codes.</summary>
internal enum S7Area : byte
{
    Inputs = 0x81,
    Outputs = 0x82,
    Flags = 0x83,
    DataBlock = 0x84,
    Counters = 0x1C,
    Timers = 0x1D,
}

/// <summary>The value type of a variable, as the node-red-contrib-s7 address syntax names it.</summary>
internal enum S7DataType
{
    Bit,
    Byte,
    Char,
    Word,
    Int,
    DWord,
    DInt,
    Real,
    LReal,
    String,
    Timer,
    Counter,
}

/// <summary>A bad variable address; the message says what was expected.</summary>
internal sealed class S7AddressException(string message) : Exception(message);

/// <summary>
/// One variable in PLC memory. <see cref="ByteOffset"/> is the byte (or the timer/counter number);
/// <see cref="Count"/> &gt; 1 makes an array of consecutive elements; <see cref="StringLength"/> is the declared
/// STRING[n] length. <see cref="ByteLength"/> is what is read from the PLC.
/// </summary>
internal sealed record S7Address(S7Area Area, int DbNumber, S7DataType Type, int ByteOffset, int BitOffset, int Count, int StringLength, string Text)
{
    /// <summary>The "reversed" types of node-red-contrib-s7 (RWORD, RINT, RDINT, RDWORD, RREAL): little-endian in the PLC.</summary>
    public bool LittleEndian { get; init; }

    /// <summary>Bytes of one element on the wire.</summary>
    public int ElementSize => Type switch
    {
        S7DataType.Bit or S7DataType.Byte or S7DataType.Char => 1,
        S7DataType.Word or S7DataType.Int or S7DataType.Timer or S7DataType.Counter => 2,
        S7DataType.DWord or S7DataType.DInt or S7DataType.Real => 4,
        S7DataType.LReal => 8,
        S7DataType.String => StringLength + 2, // S7 STRING: max length byte, actual length byte, characters
        _ => throw new InvalidOperationException(Type.ToString()),
    };

    /// <summary>Bytes covered by the whole variable; bit arrays cover the bytes their bits fall in.</summary>
    public int ByteLength => Type == S7DataType.Bit ? (BitOffset + Count + 7) / 8 : ElementSize * Count;

    public bool IsTimerOrCounter => Area is S7Area.Timers or S7Area.Counters;

    public override string ToString() => Text;

    // Anchored patterns for the node-red-contrib-s7 (nodes7) syntax, plus the classic STEP 7 "DB1.DBW2" form.
    private static readonly Regex DbPattern = new(
        @"^DB(?<db>\d+),(?<type>[A-Z]+)(?<offset>\d+)(\.(?<extra>\d+))?(\.(?<count>\d+))?$", RegexOptions.CultureInvariant);
    private static readonly Regex Step7DbPattern = new(
        @"^DB(?<db>\d+)\.DB(?<type>[XBWD])(?<offset>\d+)(\.(?<bit>\d+))?$", RegexOptions.CultureInvariant);
    private static readonly Regex AreaPattern = new(
        @"^(?<area>[MIEQA])(?<type>X|B|C|W|I|DI|DW|D|R|LR|RW|RI|RDI|RDW|RD|RR)?(?<offset>\d+)(\.(?<extra>\d+))?(\.(?<count>\d+))?$", RegexOptions.CultureInvariant);
    private static readonly Regex TimerCounterPattern = new(@"^(?<area>[TCZ])(?<number>\d+)(\.(?<count>\d+))?$", RegexOptions.CultureInvariant);

    private const int MaxByteOffset = 0xFFFF; // the 3-byte bit address of a request item holds byte offsets up to 65535
    private const int MaxCount = 65535;

    /// <summary>
    /// Parses "DB1,REAL4", "DB1,X0.1", "DB1,S10.20", "DB1,INT2.5" (array of 5), "MW10", "MB0", "MD4", "M0.1",
    /// "I0.0"/"E0.0", "Q0.0"/"A0.0", "IW2", "T1", "C1" and "DB1.DBW2". Throws <see cref="S7AddressException"/>.
    /// </summary>
    public static S7Address Parse(string? text)
    {
        var source = (text ?? "").Trim();
        if (source.Length == 0) throw new S7AddressException("the address is empty");
        var upper = source.ToUpperInvariant();
        if (DbPattern.Match(upper) is { Success: true } db) return FromDb(source, db);
        if (Step7DbPattern.Match(upper) is { Success: true } step7) return FromStep7Db(source, step7);
        if (TimerCounterPattern.Match(upper) is { Success: true } tc) return FromTimerCounter(source, tc);
        if (AreaPattern.Match(upper) is { Success: true } area) return FromArea(source, area);
        throw new S7AddressException($"\"{source}\" is not an S7 address; expected e.g. DB1,REAL4  DB1,X0.1  DB1,S10.20  MW10  M0.1  I0.0  QB2  T1  C1");
    }

    public static bool TryParse(string? text, out S7Address? address, out string? error)
    {
        try
        {
            address = Parse(text);
            error = null;
            return true;
        }
        catch (S7AddressException ex)
        {
            address = null;
            error = ex.Message;
            return false;
        }
    }

    private static S7Address FromDb(string source, Match match)
    {
        var db = Number(source, match, "db", "DB number");
        if (db is < 1 or > 65535) throw new S7AddressException($"\"{source}\": DB number {db} is outside 1..65535");
        var typeName = match.Groups["type"].Value;
        var reversed = typeName is "RW" or "RWORD" or "RI" or "RINT" or "RDW" or "RD" or "RDWORD" or "RDI" or "RDINT" or "RR" or "RREAL";
        if (reversed) typeName = typeName[1..];
        var type = typeName switch
        {
            "X" => S7DataType.Bit,
            "B" or "BYTE" => S7DataType.Byte,
            "C" or "CHAR" => S7DataType.Char,
            "W" or "WORD" => S7DataType.Word,
            "I" or "INT" => S7DataType.Int,
            "DW" or "DWORD" or "D" => S7DataType.DWord,
            "DI" or "DINT" => S7DataType.DInt,
            "R" or "REAL" => S7DataType.Real,
            "LR" or "LREAL" => S7DataType.LReal,
            "S" or "STRING" => S7DataType.String,
            _ => throw new S7AddressException($"\"{source}\": unknown type \"{match.Groups["type"].Value}\"; use X, BYTE, CHAR, WORD, INT, DWORD, DINT, REAL, LREAL, S or the reversed RWORD, RINT, RDWORD, RDINT, RREAL"),
        };
        return Build(source, S7Area.DataBlock, db, type, match) with { LittleEndian = reversed };
    }

    private static S7Address FromStep7Db(string source, Match match)
    {
        var db = Number(source, match, "db", "DB number");
        if (db is < 1 or > 65535) throw new S7AddressException($"\"{source}\": DB number {db} is outside 1..65535");
        var type = match.Groups["type"].Value switch
        {
            "X" => S7DataType.Bit,
            "B" => S7DataType.Byte,
            "W" => S7DataType.Word,
            _ => S7DataType.DWord,
        };
        var offset = Number(source, match, "offset", "byte offset");
        CheckOffset(source, offset);
        var bit = 0;
        if (type == S7DataType.Bit)
        {
            if (!match.Groups["bit"].Success) throw new S7AddressException($"\"{source}\": a bit address needs the bit number, e.g. DB1.DBX0.3");
            bit = CheckBit(source, Number(source, match, "bit", "bit"));
        }
        else if (match.Groups["bit"].Success)
        {
            throw new S7AddressException($"\"{source}\": only DBX takes a bit number");
        }
        return new S7Address(S7Area.DataBlock, db, type, offset, bit, 1, 0, source);
    }

    private static S7Address FromArea(string source, Match match)
    {
        var area = match.Groups["area"].Value switch
        {
            "M" => S7Area.Flags,
            "I" or "E" => S7Area.Inputs,
            _ => S7Area.Outputs,
        };
        var typeName = match.Groups["type"].Value;
        var reversed = typeName is "RW" or "RI" or "RDI" or "RDW" or "RD" or "RR";
        if (reversed) typeName = typeName[1..];
        var type = typeName switch
        {
            "" or "X" => S7DataType.Bit,
            "B" => S7DataType.Byte,
            "C" => S7DataType.Char,
            "W" => S7DataType.Word,
            "I" => S7DataType.Int,
            "D" or "DW" => S7DataType.DWord,
            "DI" => S7DataType.DInt,
            "R" => S7DataType.Real,
            _ => S7DataType.LReal,
        };
        return Build(source, area, 0, type, match) with { LittleEndian = reversed };
    }

    private static S7Address FromTimerCounter(string source, Match match)
    {
        var isTimer = match.Groups["area"].Value == "T";
        var number = Number(source, match, "number", isTimer ? "timer number" : "counter number");
        CheckOffset(source, number);
        var count = match.Groups["count"].Success ? CheckCount(source, Number(source, match, "count", "count")) : 1;
        return new S7Address(isTimer ? S7Area.Timers : S7Area.Counters, 0, isTimer ? S7DataType.Timer : S7DataType.Counter, number, 0, count, 0, source);
    }

    /// <summary>The shared tail "offset[.bit|.length][.count]" of DB and M/I/Q addresses.</summary>
    private static S7Address Build(string source, S7Area area, int db, S7DataType type, Match match)
    {
        var offset = Number(source, match, "offset", "byte offset");
        CheckOffset(source, offset);
        int? extra = match.Groups["extra"].Success ? Number(source, match, "extra", "number after the dot") : null;
        int? count = match.Groups["count"].Success ? Number(source, match, "count", "array length") : null;
        switch (type)
        {
            case S7DataType.Bit:
                if (extra is not { } bit) throw new S7AddressException($"\"{source}\": a bit address needs the bit number after a dot, e.g. {(area == S7Area.DataBlock ? "DB1,X0.3" : "M0.3")}");
                return new S7Address(area, db, type, offset, CheckBit(source, bit), count is { } n ? CheckCount(source, n) : 1, 0, source);
            case S7DataType.String:
                if (extra is not { } length) throw new S7AddressException($"\"{source}\": a string needs its declared length after a dot, e.g. DB1,S10.20");
                if (length is < 1 or > 254) throw new S7AddressException($"\"{source}\": string length {length} is outside 1..254");
                return new S7Address(area, db, type, offset, 0, count is { } s ? CheckCount(source, s) : 1, length, source);
            default:
                // For other types a single number after the dot is the array length (nodes7: DB1,INT2.5 = 5 INTs).
                if (count is not null) throw new S7AddressException($"\"{source}\": too many dotted numbers; {type} takes at most an array length");
                return new S7Address(area, db, type, offset, 0, extra is { } c ? CheckCount(source, c) : 1, 0, source);
        }
    }

    private static int Number(string source, Match match, string group, string what)
    {
        if (!int.TryParse(match.Groups[group].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new S7AddressException($"\"{source}\": the {what} is too large");
        return value;
    }

    private static void CheckOffset(string source, int offset)
    {
        if (offset > MaxByteOffset) throw new S7AddressException($"\"{source}\": offset {offset} is above {MaxByteOffset}");
    }

    private static int CheckBit(string source, int bit) =>
        bit <= 7 ? bit : throw new S7AddressException($"\"{source}\": bit {bit} is outside 0..7");

    private static int CheckCount(string source, int count) =>
        count is >= 1 and <= MaxCount ? count : throw new S7AddressException($"\"{source}\": array length {count} is outside 1..{MaxCount}");
}
