namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// A JSONata function signature such as <c>&lt;s-nn?:s&gt;</c>: checks the arguments of a call, wraps single values
/// where an array is expected, and supplies the context value for a missing argument marked <c>-</c>.
/// Argument types are matched as one-letter symbols (see <see cref="Values.Symbol"/>); "m" is a missing (undefined) value.
/// </summary>
internal sealed class Signature
{
    private readonly Parameter[] _parameters;

    private Signature(string text, Parameter[] parameters)
    {
        Text = text;
        _parameters = parameters;
    }

    public string Text { get; }

    /// <summary>Parameters a caller is expected to pass: higher-order functions pass this many of (value, index, array).</summary>
    public int DeclaredArity
    {
        get
        {
            var count = 0;
            foreach (var parameter in _parameters)
            {
                if (parameter.Modifier != '?')
                {
                    count++;
                }
            }
            return count;
        }
    }

    public static Signature Parse(string text)
    {
        var parameters = new List<Parameter>();
        var position = text.StartsWith('<') ? 1 : 0;
        while (position < text.Length)
        {
            var symbol = text[position];
            if (symbol is ':' or '>')
            {
                // The return type is documentation only; JSONata does not check it either.
                break;
            }
            var previous = parameters.Count > 0 ? parameters[^1] : null;
            switch (symbol)
            {
                case 's' or 'n' or 'b' or 'l' or 'o':
                    parameters.Add(new Parameter(symbol, symbol + "m"));
                    break;
                case 'a':
                    parameters.Add(new Parameter('a', "asnblfom"));
                    break;
                case 'f':
                    parameters.Add(new Parameter('f', "f"));
                    break;
                case 'j':
                    parameters.Add(new Parameter('j', "asnblom"));
                    break;
                case 'x':
                    parameters.Add(new Parameter('x', "asnblfom"));
                    break;
                case '-' or '?' or '+':
                    if (previous is null)
                    {
                        throw Errors.Create("S0401", position, symbol.ToString());
                    }
                    previous.Modifier = symbol;
                    break;
                case '(':
                    var close = text.IndexOf(')', position);
                    if (close < 0)
                    {
                        throw Errors.Create("S0201", position, text);
                    }
                    var choice = text[(position + 1)..close];
                    if (choice.Contains('<', StringComparison.Ordinal))
                    {
                        throw Errors.Create("S0402", position);
                    }
                    parameters.Add(new Parameter('(', choice + "m"));
                    position = close;
                    break;
                case '<':
                    if (previous is null || previous.Type is not ('a' or 'f'))
                    {
                        throw Errors.Create("S0401", position, "<");
                    }
                    var end = FindClosingAngle(text, position);
                    previous.SubType = text[(position + 1)..end];
                    position = end;
                    break;
                case ' ':
                    break;
                default:
                    throw Errors.Create("S0201", position, symbol.ToString());
            }
            position++;
        }
        return new Signature(text, [.. parameters]);
    }

    private static int FindClosingAngle(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '<')
            {
                depth++;
            }
            else if (text[i] == '>' && --depth == 0)
            {
                return i;
            }
        }
        throw Errors.Create("S0201", open, text);
    }

    /// <summary>Checks and coerces the arguments of a call to <paramref name="functionName"/>.</summary>
    public object?[] Validate(object?[] args, object? context, string functionName)
    {
        // Calls usually have a handful of arguments; keep the matching scratch space off the heap.
        Span<char> symbols = args.Length <= 32 ? stackalloc char[args.Length] : new char[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            symbols[i] = Values.Symbol(args[i]);
        }
        Span<int> counts = _parameters.Length <= 32 ? stackalloc int[_parameters.Length] : new int[_parameters.Length];
        if (!Match(symbols, 0, 0, counts))
        {
            var failure = FailureIndex(symbols);
            throw Errors.Create("T0410", token: functionName, value: args.Length > 0 ? args[Math.Min(failure, args.Length - 1)] : null,
                index: failure + 1);
        }
        var size = 0;
        foreach (var count in counts)
        {
            size += Math.Max(count, 1);
        }
        var validated = new object?[size];
        var argIndex = 0;
        var outIndex = 0;
        for (var p = 0; p < _parameters.Length; p++)
        {
            var parameter = _parameters[p];
            if (counts[p] == 0)
            {
                if (parameter.Modifier == '-')
                {
                    if (!parameter.Allowed.Contains(Values.Symbol(context), StringComparison.Ordinal))
                    {
                        throw Errors.Create("T0411", token: functionName, value: context, index: argIndex + 1);
                    }
                    validated[outIndex++] = context;
                }
                else
                {
                    // As in JSONata, a skipped optional parameter still takes the next argument's place.
                    validated[outIndex++] = Invoker.Argument(args, argIndex);
                    argIndex++;
                }
                continue;
            }
            for (var k = 0; k < counts[p]; k++)
            {
                // After a skipped optional parameter the indexes run one ahead, possibly past the last argument.
                var arg = Invoker.Argument(args, argIndex);
                if (parameter.Type == 'a')
                {
                    arg = CoerceArray(parameter, arg, Values.Symbol(arg), argIndex, functionName);
                }
                validated[outIndex++] = arg;
                argIndex++;
            }
        }
        return validated;
    }

    private static object? CoerceArray(Parameter parameter, object? arg, char symbol, int argIndex, string functionName)
    {
        if (symbol == 'm')
        {
            return Undefined.Value;
        }
        if (parameter.SubType is { Length: > 0 } subType && subType[0] is not ('x' or 'j'))
        {
            var ok = true;
            if (symbol != 'a')
            {
                ok = subType.Length == 1 && symbol == subType[0];
            }
            else if (arg is List<object?> { Count: > 0 } list)
            {
                var itemType = Values.Symbol(list[0]);
                ok = itemType == subType[0];
                for (var i = 1; ok && i < list.Count; i++)
                {
                    ok = Values.Symbol(list[i]) == itemType;
                }
            }
            if (!ok)
            {
                throw Errors.Create("T0412", token: functionName, value: arg, index: argIndex + 1, type: TypeNames(subType[0]));
            }
        }
        // The function expects an array: a single value is treated as an array of one.
        return symbol == 'a' ? arg : new List<object?> { arg };
    }

    private static string TypeNames(char symbol) => symbol switch
    {
        'a' => "arrays",
        'b' => "booleans",
        'f' => "functions",
        'n' => "numbers",
        'o' => "objects",
        's' => "strings",
        _ => "values",
    };

    /// <summary>Backtracking match of argument symbols to parameters, greedy like the regular expression JSONata builds.</summary>
    private bool Match(ReadOnlySpan<char> symbols, int parameterIndex, int symbolIndex, Span<int> counts)
    {
        if (parameterIndex == _parameters.Length)
        {
            return symbolIndex == symbols.Length;
        }
        var parameter = _parameters[parameterIndex];
        var (min, max) = parameter.Modifier switch
        {
            '+' => (1, int.MaxValue),
            '?' or '-' => (0, 1),
            _ => (1, 1),
        };
        var available = 0;
        while (symbolIndex + available < symbols.Length && available < max &&
               parameter.Allowed.Contains(symbols[symbolIndex + available], StringComparison.Ordinal))
        {
            available++;
        }
        for (var take = available; take >= min; take--)
        {
            counts[parameterIndex] = take;
            if (Match(symbols, parameterIndex + 1, symbolIndex + take, counts))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Where a failed match went wrong, for the error message: the first argument no parameter accepts.</summary>
    private int FailureIndex(ReadOnlySpan<char> symbols)
    {
        var index = 0;
        foreach (var parameter in _parameters)
        {
            var max = parameter.Modifier == '+' ? int.MaxValue : 1;
            var taken = 0;
            while (index < symbols.Length && taken < max && parameter.Allowed.Contains(symbols[index], StringComparison.Ordinal))
            {
                index++;
                taken++;
            }
            if (taken == 0 && parameter.Modifier is not ('?' or '-'))
            {
                return index;
            }
        }
        return index;
    }

    private sealed class Parameter(char type, string allowed)
    {
        public char Type { get; } = type;

        public string Allowed { get; } = allowed;

        public char Modifier { get; set; }

        public string? SubType { get; set; }
    }
}
