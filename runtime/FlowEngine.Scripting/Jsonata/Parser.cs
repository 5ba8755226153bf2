namespace FlowEngine.Scripting.Jsonata;

internal enum SyntaxKind
{
    Literal,
    Name,
    Variable,
    Regex,
    Wildcard,
    Descendant,
    Parent,
    Placeholder,
    Binary,
    Negate,
    ArrayConstructor,
    ObjectConstructor,
    GroupBy,
    Predicate,
    Sort,
    Focus,
    Index,
    Call,
    Partial,
    Lambda,
    Condition,
    Elvis,
    Coalesce,
    Block,
    Bind,
    Apply,
    Transform,
}

/// <summary>The parse tree as the grammar sees it, before <see cref="Builder"/> turns it into evaluable nodes.</summary>
internal sealed class Syntax(SyntaxKind kind, int position)
{
    public SyntaxKind Kind { get; } = kind;

    public int Position { get; } = position;

    public string Operator { get; init; } = "";

    public object? Value { get; init; }

    public Syntax? Left { get; set; }

    public Syntax? Right { get; set; }

    public List<Syntax> Items { get; init; } = [];

    public List<(Syntax Key, Syntax Value)> Pairs { get; init; } = [];

    public List<(bool Descending, Syntax Expression)> Terms { get; init; } = [];

    public Syntax? Condition { get; init; }

    public Syntax? Then { get; init; }

    public Syntax? Else { get; init; }

    public string? SignatureText { get; init; }

    public bool KeepArray { get; set; }
}

/// <summary>
/// Top-down operator-precedence (Pratt) parser for JSONata. Binding powers follow the JSONata grammar:
/// path "." 75, predicate "[" and call "(" 80, group "{" 70, multiplicative 60, additive and "&amp;" 50,
/// comparison, "in", "^", "~&gt;", "?:" and "??" 40, "and" 30, "or" 25, condition "?" 20, ":=" 10 (right-associative).
/// </summary>
internal sealed class Parser
{
    // Deeply nested expressions recurse in the parser and in the evaluator; real expressions are nowhere near this.
    private const int MaxNesting = 400;

    private readonly Lexer _lexer;
    private Token _current;
    private int _nesting;

    private Parser(string text)
    {
        _lexer = new Lexer(text);
        _current = _lexer.Next(false);
    }

    public static Syntax Parse(string text)
    {
        var parser = new Parser(text);
        var result = parser.Expression(0);
        if (parser._current.Type != TokenType.End)
        {
            throw Errors.Create("S0201", parser._current.Position, parser._current.ToString());
        }
        return result;
    }

    private static int BindingPower(Token token)
    {
        if (token.Type != TokenType.Operator)
        {
            return 0;
        }
        return token.Id switch
        {
            "[" or "(" or "@" or "#" => 80,
            "." => 75,
            "{" => 70,
            "*" or "/" or "%" => 60,
            "+" or "-" or "&" => 50,
            "=" or "!=" or "<" or "<=" or ">" or ">=" or "in" or "^" or "~>" or "?:" or "??" => 40,
            "and" => 30,
            "or" => 25,
            "?" => 20,
            ":=" => 10,
            _ => 0,
        };
    }

    private bool At(string id) => _current.Type == TokenType.Operator && _current.Id == id;

    private Token Advance(string? expected = null, bool infix = false)
    {
        if (expected is not null && !At(expected))
        {
            throw _current.Type == TokenType.End
                ? Errors.Create("S0203", _current.Position, expected, value: expected)
                : Errors.Create("S0202", _current.Position, _current.ToString(), value: expected);
        }
        var previous = _current;
        _current = _lexer.Next(infix);
        return previous;
    }

    private Syntax Expression(int rightBindingPower)
    {
        if (++_nesting > MaxNesting)
        {
            throw Errors.Create("U1001", _current.Position, value: "Expression is nested too deeply");
        }
        var token = _current;
        // After a term the next token is an operator, so "/" divides; after a prefix operator a term follows,
        // so "/" starts a regular expression.
        Advance(infix: token.Type != TokenType.Operator || token.Id is "*" or "**" or "%" or "and" or "or" or "in");
        var left = Prefix(token);
        while (rightBindingPower < BindingPower(_current))
        {
            token = _current;
            Advance();
            left = Infix(token, left);
        }
        _nesting--;
        return left;
    }

    private Syntax Prefix(Token token)
    {
        switch (token.Type)
        {
            case TokenType.End:
                throw Errors.Create("S0207", token.Position);
            case TokenType.Name:
                return new Syntax(SyntaxKind.Name, token.Position) { Value = token.Id };
            case TokenType.Variable:
                return new Syntax(SyntaxKind.Variable, token.Position) { Value = token.Id };
            case TokenType.String or TokenType.Number or TokenType.Value:
                return new Syntax(SyntaxKind.Literal, token.Position) { Value = token.Value };
            case TokenType.Regex:
                return new Syntax(SyntaxKind.Regex, token.Position) { Value = token.Value };
        }
        switch (token.Id)
        {
            case "and" or "or" or "in":
                // Operator words are allowed as field names where a term is expected.
                return new Syntax(SyntaxKind.Name, token.Position) { Value = token.Id };
            case "-":
                return new Syntax(SyntaxKind.Negate, token.Position) { Left = Expression(70) };
            case "*":
                return new Syntax(SyntaxKind.Wildcard, token.Position);
            case "**":
                return new Syntax(SyntaxKind.Descendant, token.Position);
            case "%":
                return new Syntax(SyntaxKind.Parent, token.Position);
            case "(":
                return ParseBlock(token);
            case "[":
                return ParseArray(token);
            case "{":
                return new Syntax(SyntaxKind.ObjectConstructor, token.Position) { Pairs = ParseObjectPairs() };
            case "|":
                return ParseTransform(token);
            default:
                throw Errors.Create("S0211", token.Position, token.Id);
        }
    }

    private Syntax ParseBlock(Token token)
    {
        var items = new List<Syntax>();
        while (!At(")"))
        {
            items.Add(Expression(0));
            if (!At(";"))
            {
                break;
            }
            Advance(";");
        }
        Advance(")", infix: true);
        return new Syntax(SyntaxKind.Block, token.Position) { Items = items };
    }

    private Syntax ParseArray(Token token)
    {
        var items = new List<Syntax>();
        if (!At("]"))
        {
            while (true)
            {
                var item = Expression(0);
                if (At(".."))
                {
                    var rangePosition = _current.Position;
                    Advance("..");
                    item = new Syntax(SyntaxKind.Binary, rangePosition) { Operator = "..", Left = item, Right = Expression(0) };
                }
                items.Add(item);
                if (!At(","))
                {
                    break;
                }
                Advance(",");
            }
        }
        Advance("]", infix: true);
        return new Syntax(SyntaxKind.ArrayConstructor, token.Position) { Items = items };
    }

    private List<(Syntax, Syntax)> ParseObjectPairs()
    {
        var pairs = new List<(Syntax, Syntax)>();
        if (!At("}"))
        {
            while (true)
            {
                var key = Expression(0);
                Advance(":");
                var value = Expression(0);
                pairs.Add((key, value));
                if (!At(","))
                {
                    break;
                }
                Advance(",");
            }
        }
        Advance("}", infix: true);
        return pairs;
    }

    private Syntax ParseTransform(Token token)
    {
        var pattern = Expression(0);
        Advance("|");
        var update = Expression(0);
        Syntax? delete = null;
        if (At(","))
        {
            Advance(",");
            delete = Expression(0);
        }
        Advance("|", infix: true);
        return new Syntax(SyntaxKind.Transform, token.Position) { Condition = pattern, Then = update, Else = delete };
    }

    private Syntax Infix(Token token, Syntax left)
    {
        switch (token.Id)
        {
            case "[":
                if (At("]"))
                {
                    // An empty predicate keeps singleton results as arrays; it marks the step it follows.
                    var step = left;
                    while (step.Kind == SyntaxKind.Predicate)
                    {
                        step = step.Left!;
                    }
                    step.KeepArray = true;
                    Advance("]", infix: true);
                    return left;
                }
                var predicate = Expression(0);
                Advance("]", infix: true);
                return new Syntax(SyntaxKind.Predicate, token.Position) { Left = left, Right = predicate };
            case "{":
                return new Syntax(SyntaxKind.GroupBy, token.Position) { Left = left, Pairs = ParseObjectPairs() };
            case "(":
                return ParseCall(token, left);
            case "?":
                var then = Expression(0);
                Syntax? otherwise = null;
                if (At(":"))
                {
                    Advance(":");
                    otherwise = Expression(0);
                }
                return new Syntax(SyntaxKind.Condition, token.Position) { Condition = left, Then = then, Else = otherwise };
            case "?:":
                return new Syntax(SyntaxKind.Elvis, token.Position) { Left = left, Right = Expression(0) };
            case "??":
                return new Syntax(SyntaxKind.Coalesce, token.Position) { Left = left, Right = Expression(0) };
            case ":=":
                if (left.Kind != SyntaxKind.Variable)
                {
                    throw Errors.Create("S0212", token.Position, ":=");
                }
                return new Syntax(SyntaxKind.Bind, token.Position) { Left = left, Right = Expression(9) };
            case "@" or "#":
                var variable = Expression(80);
                if (variable.Kind != SyntaxKind.Variable)
                {
                    throw Errors.Create("S0214", variable.Position, token.Id);
                }
                return new Syntax(token.Id == "@" ? SyntaxKind.Focus : SyntaxKind.Index, token.Position) { Left = left, Right = variable };
            case "~>":
                var function = Expression(40);
                return new Syntax(SyntaxKind.Apply, token.Position) { Left = left, Right = function, KeepArray = left.KeepArray || function.KeepArray };
            case "^":
                return ParseSort(token, left);
            default:
                var bindingPower = BindingPower(token);
                if (bindingPower == 0)
                {
                    throw Errors.Create("S0201", token.Position, token.Id);
                }
                return new Syntax(SyntaxKind.Binary, token.Position) { Operator = token.Id, Left = left, Right = Expression(bindingPower) };
        }
    }

    private Syntax ParseCall(Token token, Syntax procedure)
    {
        var args = new List<Syntax>();
        var isPartial = false;
        if (!At(")"))
        {
            while (true)
            {
                if (At("?"))
                {
                    isPartial = true;
                    args.Add(new Syntax(SyntaxKind.Placeholder, _current.Position));
                    Advance("?");
                }
                else
                {
                    args.Add(Expression(0));
                }
                if (!At(","))
                {
                    break;
                }
                Advance(",");
            }
        }
        Advance(")", infix: true);
        if (procedure.Kind == SyntaxKind.Name && procedure.Value is "function" or "λ")
        {
            return ParseLambda(token, args);
        }
        return new Syntax(isPartial ? SyntaxKind.Partial : SyntaxKind.Call, token.Position) { Left = procedure, Items = args };
    }

    private Syntax ParseLambda(Token token, List<Syntax> parameters)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Kind != SyntaxKind.Variable)
            {
                throw Errors.Create("S0208", parameters[i].Position, value: (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        string? signature = null;
        if (At("<"))
        {
            var signaturePosition = _current.Position;
            signature = _lexer.ScanSignature(signaturePosition);
            try
            {
                // Checked here, before the body, so a bad signature is reported as such.
                Signature.Parse(signature);
            }
            catch (JsonataException ex)
            {
                ex.Position = signaturePosition;
                throw;
            }
            _current = _lexer.Next(false);
        }
        Advance("{");
        var body = Expression(0);
        Advance("}", infix: true);
        return new Syntax(SyntaxKind.Lambda, token.Position) { Items = parameters, Right = body, SignatureText = signature };
    }

    private Syntax ParseSort(Token token, Syntax left)
    {
        Advance("(");
        var terms = new List<(bool, Syntax)>();
        while (true)
        {
            var descending = false;
            if (At("<"))
            {
                Advance("<");
            }
            else if (At(">"))
            {
                descending = true;
                Advance(">");
            }
            terms.Add((descending, Expression(0)));
            if (!At(","))
            {
                break;
            }
            Advance(",");
        }
        Advance(")", infix: true);
        return new Syntax(SyntaxKind.Sort, token.Position) { Left = left, Terms = terms };
    }
}
