using System.Globalization;
using System.Text;

namespace FlowEngine.Scripting.Jsonata;

internal enum TokenType
{
    End,
    Operator,
    Name,
    Variable,
    String,
    Number,
    Value,
    Regex,
}

internal sealed class Token(TokenType type, string id, object? value, int position)
{
    public TokenType Type { get; } = type;

    /// <summary>The operator text, the name, or "(literal)" style ids for values.</summary>
    public string Id { get; } = id;

    /// <summary>The literal value: string, double, bool, null, or a <see cref="RegexLiteral"/>.</summary>
    public object? Value { get; } = value;

    /// <summary>Zero-based offset of the token's first character.</summary>
    public int Position { get; } = position;

    public override string ToString() => Type switch
    {
        TokenType.End => "(end)",
        TokenType.String => "\"" + Id + "\"",
        TokenType.Variable => "$" + Id,
        _ => Id,
    };
}

internal sealed record RegexLiteral(string Pattern, bool IgnoreCase, bool Multiline);

/// <summary>
/// Splits an expression into tokens on demand. The parser says whether it expects an operator (infix position),
/// because "/" means division there and starts a regular expression literal anywhere else.
/// </summary>
internal sealed class Lexer(string text)
{
    private static readonly string[] TwoCharOperators = ["..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"];

    private const string SingleCharOperators = ".[]{}(),@#;:?+-*/%|=<>^&!~";

    private int _position;

    public string Text { get; } = text;

    public Token Next(bool infix)
    {
        SkipWhitespaceAndComments();
        if (_position >= Text.Length)
        {
            return new Token(TokenType.End, "(end)", null, _position);
        }
        var start = _position;
        var current = Text[_position];
        if (!infix && current == '/')
        {
            _position++;
            return new Token(TokenType.Regex, "(regex)", ScanRegex(start), start);
        }
        if (_position + 1 < Text.Length)
        {
            var pair = Text.AsSpan(_position, 2);
            foreach (var op in TwoCharOperators)
            {
                if (pair.SequenceEqual(op))
                {
                    _position += 2;
                    return new Token(TokenType.Operator, op, null, start);
                }
            }
        }
        if (SingleCharOperators.Contains(current, StringComparison.Ordinal))
        {
            if (current is '!' or '~')
            {
                // Only parts of != and ~>; JSONata has no ! or ~ operator of its own.
                throw Errors.Create("S0204", start, current.ToString());
            }
            _position++;
            return new Token(TokenType.Operator, current.ToString(), null, start);
        }
        if (current is '"' or '\'')
        {
            var value = ScanString(current);
            return new Token(TokenType.String, value, value, start);
        }
        if (char.IsAsciiDigit(current))
        {
            return ScanNumber(start);
        }
        if (current == '`')
        {
            var end = Text.IndexOf('`', _position + 1);
            if (end < 0)
            {
                throw Errors.Create("S0105", start);
            }
            var name = Text[(_position + 1)..end];
            _position = end + 1;
            return new Token(TokenType.Name, name, name, start);
        }
        return ScanName(start);
    }

    private void SkipWhitespaceAndComments()
    {
        while (_position < Text.Length)
        {
            var c = Text[_position];
            if (c is ' ' or '\t' or '\n' or '\r' or '\v')
            {
                _position++;
            }
            else if (c == '/' && _position + 1 < Text.Length && Text[_position + 1] == '*')
            {
                var end = Text.IndexOf("*/", _position + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw Errors.Create("S0106", _position);
                }
                _position = end + 2;
            }
            else
            {
                return;
            }
        }
    }

    private RegexLiteral ScanRegex(int start)
    {
        var patternStart = _position;
        var depth = 0;
        while (_position < Text.Length)
        {
            var c = Text[_position];
            if (c == '/' && depth == 0 && !IsEscaped(_position))
            {
                var pattern = Text[patternStart.._position];
                if (pattern.Length == 0)
                {
                    throw Errors.Create("S0301", start);
                }
                _position++;
                var ignoreCase = false;
                var multiline = false;
                while (_position < Text.Length && Text[_position] is 'i' or 'm')
                {
                    if (Text[_position] == 'i')
                    {
                        ignoreCase = true;
                    }
                    else
                    {
                        multiline = true;
                    }
                    _position++;
                }
                return new RegexLiteral(pattern, ignoreCase, multiline);
            }
            // Brackets are counted so that a "/" inside a character class or group does not end the literal.
            if (c is '(' or '[' or '{' && !IsEscaped(_position))
            {
                depth++;
            }
            else if (c is ')' or ']' or '}' && !IsEscaped(_position))
            {
                depth--;
            }
            _position++;
        }
        throw Errors.Create("S0302", start);
    }

    private bool IsEscaped(int index)
    {
        var backslashes = 0;
        while (index - backslashes - 1 >= 0 && Text[index - backslashes - 1] == '\\')
        {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private string ScanString(char quote)
    {
        var start = _position;
        _position++;
        var builder = new StringBuilder();
        while (_position < Text.Length)
        {
            var c = Text[_position];
            if (c == '\\')
            {
                _position++;
                if (_position >= Text.Length)
                {
                    break;
                }
                var escape = Text[_position];
                switch (escape)
                {
                    case '"' or '\\' or '/' or '\'':
                        builder.Append(escape);
                        break;
                    case 'b':
                        builder.Append('\b');
                        break;
                    case 'f':
                        builder.Append('\f');
                        break;
                    case 'n':
                        builder.Append('\n');
                        break;
                    case 'r':
                        builder.Append('\r');
                        break;
                    case 't':
                        builder.Append('\t');
                        break;
                    case 'u':
                        if (_position + 4 < Text.Length &&
                            int.TryParse(Text.AsSpan(_position + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        {
                            builder.Append((char)code);
                            _position += 4;
                        }
                        else
                        {
                            throw Errors.Create("S0104", _position);
                        }
                        break;
                    default:
                        throw Errors.Create("S0103", _position, escape.ToString());
                }
            }
            else if (c == quote)
            {
                _position++;
                return builder.ToString();
            }
            else
            {
                builder.Append(c);
            }
            _position++;
        }
        throw Errors.Create("S0101", start);
    }

    private Token ScanNumber(int start)
    {
        // JSON number syntax without the sign (a leading "-" is the negation operator): 0|[1-9][0-9]*, fraction, exponent.
        var i = _position;
        if (Text[i] == '0')
        {
            i++;
        }
        else
        {
            while (i < Text.Length && char.IsAsciiDigit(Text[i]))
            {
                i++;
            }
        }
        if (i + 1 < Text.Length && Text[i] == '.' && char.IsAsciiDigit(Text[i + 1]))
        {
            i++;
            while (i < Text.Length && char.IsAsciiDigit(Text[i]))
            {
                i++;
            }
        }
        if (i < Text.Length && Text[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < Text.Length && Text[j] is '+' or '-')
            {
                j++;
            }
            if (j < Text.Length && char.IsAsciiDigit(Text[j]))
            {
                while (j < Text.Length && char.IsAsciiDigit(Text[j]))
                {
                    j++;
                }
                i = j;
            }
        }
        var literal = Text[_position..i];
        var value = double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!double.IsFinite(value))
        {
            throw Errors.Create("S0102", start, literal);
        }
        _position = i;
        return new Token(TokenType.Number, literal, value, start);
    }

    private Token ScanName(int start)
    {
        var i = _position;
        while (i < Text.Length)
        {
            var c = Text[i];
            if (c is ' ' or '\t' or '\n' or '\r' or '\v' || SingleCharOperators.Contains(c, StringComparison.Ordinal))
            {
                break;
            }
            i++;
        }
        if (Text[_position] == '$')
        {
            var variable = Text[(_position + 1)..i];
            _position = i;
            return new Token(TokenType.Variable, variable, variable, start);
        }
        var name = Text[_position..i];
        _position = i;
        return name switch
        {
            "and" or "or" or "in" => new Token(TokenType.Operator, name, null, start),
            "true" => new Token(TokenType.Value, name, Values.True, start),
            "false" => new Token(TokenType.Value, name, Values.False, start),
            "null" => new Token(TokenType.Value, name, null, start),
            _ => new Token(TokenType.Name, name, name, start),
        };
    }

    /// <summary>Reads a function signature such as <c>&lt;n-n?:n&gt;</c> verbatim, from a "&lt;" at <paramref name="start"/>.</summary>
    public string ScanSignature(int start)
    {
        var depth = 0;
        for (var i = start; i < Text.Length; i++)
        {
            if (Text[i] == '<')
            {
                depth++;
            }
            else if (Text[i] == '>' && --depth == 0)
            {
                _position = i + 1;
                return Text[start..(i + 1)];
            }
        }
        throw Errors.Create("S0203", start, value: ">");
    }
}
