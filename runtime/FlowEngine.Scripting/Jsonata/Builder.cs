namespace FlowEngine.Scripting.Jsonata;

/// <summary>
/// Turns the parse tree into evaluable nodes, following JSONata's AST post-processing: dots become paths whose
/// string steps are names, predicates become per-step stages, <c>[]</c>/<c>@</c>/<c>#</c>/<c>^</c> decorate steps,
/// lambda bodies get tail calls marked, and each <c>%</c> is tied to the step whose context it names.
/// </summary>
internal sealed class Builder
{
    // Evaluation recurses once per tree level between the stack probes at function calls, so the tree's depth bounds
    // the stack an evaluation can use. The parser loops over operator chains, so "1+1+...+1" must be caught here.
    private const int MaxDepth = 500;

    private readonly List<ParentNode> _ancestry = [];
    private readonly Stack<BlockNode?> _scopes = new();
    private int _ancestorLabel;
    private int _depth;

    public static Node Build(Syntax syntax)
    {
        var builder = new Builder();
        var root = builder.Process(syntax);
        if (root.SeekingParent is not null || root is ParentNode)
        {
            throw Errors.Create("S0217", root.Position, "%");
        }
        return root;
    }

    private Node Process(Syntax syntax)
    {
        if (++_depth > MaxDepth)
        {
            throw Errors.Create("U1001", syntax.Position, value: "Expression is nested too deeply");
        }
        var result = ProcessCore(syntax);
        if (syntax.KeepArray)
        {
            result.KeepArray = true;
        }
        _depth--;
        return result;
    }

    private Node ProcessCore(Syntax syntax)
    {
        var position = syntax.Position;
        switch (syntax.Kind)
        {
            case SyntaxKind.Literal:
                return new LiteralNode(syntax.Value, position);
            case SyntaxKind.Name:
                var name = new NameNode((string)syntax.Value!, position) { KeepArray = syntax.KeepArray };
                var namePath = new PathNode(position) { KeepSingletonArray = syntax.KeepArray };
                namePath.Steps.Add(name);
                return namePath;
            case SyntaxKind.Variable:
                return new VariableNode((string)syntax.Value!, position);
            case SyntaxKind.Regex:
                var literal = (RegexLiteral)syntax.Value!;
                try
                {
                    return new RegexNode(new RegexFunction(RegexSupport.Create(literal.Pattern, literal.IgnoreCase, literal.Multiline), literal.Pattern), position);
                }
                catch (ArgumentException ex)
                {
                    throw Errors.Create("S0303", position, value: ex.Message, inner: ex);
                }
            case SyntaxKind.Wildcard:
                return new WildcardNode(position);
            case SyntaxKind.Descendant:
                return new DescendantNode(position);
            case SyntaxKind.Parent:
                var parent = new ParentNode(new AncestorSlot("!" + _ancestorLabel++, 1, _ancestry.Count), position);
                _ancestry.Add(parent);
                return parent;
            case SyntaxKind.Binary:
                return syntax.Operator == "." ? BuildPath(syntax) : BuildBinary(syntax);
            case SyntaxKind.Negate:
                var operand = Process(syntax.Left!);
                if (operand is LiteralNode { Value: double number } && operand.Predicates is null && !operand.KeepArray)
                {
                    return new LiteralNode(-number, position);
                }
                var negate = new NegateNode(operand, position);
                PushAncestry(negate, operand);
                return negate;
            case SyntaxKind.ArrayConstructor:
                var items = new Node[syntax.Items.Count];
                var array = new ArrayConstructorNode(items, position);
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = Process(syntax.Items[i]);
                    PushAncestry(array, items[i]);
                }
                return array;
            case SyntaxKind.ObjectConstructor:
                var pairs = new (Node, Node)[syntax.Pairs.Count];
                var collector = new LiteralNode(null, position);
                for (var i = 0; i < pairs.Length; i++)
                {
                    var key = Process(syntax.Pairs[i].Key);
                    PushAncestry(collector, key);
                    var value = Process(syntax.Pairs[i].Value);
                    PushAncestry(collector, value);
                    pairs[i] = (key, value);
                }
                return new ObjectConstructorNode(new GroupSpec(pairs, position), position) { SeekingParent = collector.SeekingParent };
            case SyntaxKind.GroupBy:
                return BuildGroupBy(syntax);
            case SyntaxKind.Predicate:
                return BuildPredicate(syntax);
            case SyntaxKind.Sort:
                return BuildSort(syntax);
            case SyntaxKind.Focus:
                return BuildFocus(syntax);
            case SyntaxKind.Index:
                return BuildIndex(syntax);
            case SyntaxKind.Call or SyntaxKind.Partial:
                return BuildCall(syntax);
            case SyntaxKind.Lambda:
                return BuildLambda(syntax);
            case SyntaxKind.Condition:
                var condition = Process(syntax.Condition!);
                var then = Process(syntax.Then!);
                var otherwise = syntax.Else is null ? null : Process(syntax.Else);
                var conditionNode = new ConditionNode(condition, then, otherwise, position);
                PushAncestry(conditionNode, condition);
                PushAncestry(conditionNode, then);
                if (otherwise is not null)
                {
                    PushAncestry(conditionNode, otherwise);
                }
                return conditionNode;
            case SyntaxKind.Elvis or SyntaxKind.Coalesce:
                var left = Process(syntax.Left!);
                var right = Process(syntax.Right!);
                Node defaulting = syntax.Kind == SyntaxKind.Elvis ? new ElvisNode(left, right, position) : new CoalesceNode(left, right, position);
                PushAncestry(defaulting, left);
                PushAncestry(defaulting, right);
                return defaulting;
            case SyntaxKind.Block:
                return BuildBlock(syntax);
            case SyntaxKind.Bind:
                var bound = Process(syntax.Right!);
                var bind = new BindNode((string)syntax.Left!.Value!, bound, position);
                PushAncestry(bind, bound);
                if (_scopes.TryPeek(out var scope) && scope is not null)
                {
                    scope.NeedsFrame = true;
                }
                return bind;
            case SyntaxKind.Apply:
                return new ApplyNode(Process(syntax.Left!), Process(syntax.Right!), position) { KeepArray = syntax.KeepArray };
            case SyntaxKind.Transform:
                return new TransformNode(Process(syntax.Condition!), Process(syntax.Then!), syntax.Else is null ? null : Process(syntax.Else), position);
            default:
                throw Errors.Create("S0206", position, syntax.Kind.ToString());
        }
    }

    private Node BuildBinary(Syntax syntax)
    {
        var left = Process(syntax.Left!);
        var right = Process(syntax.Right!);
        var position = syntax.Position;
        Node result = syntax.Operator switch
        {
            "+" or "-" or "*" or "/" or "%" => new ArithmeticNode(syntax.Operator[0], left, right, position),
            "=" => new EqualityNode(false, left, right, position),
            "!=" => new EqualityNode(true, left, right, position),
            "<" or "<=" or ">" or ">=" => new ComparisonNode(syntax.Operator, left, right, position),
            "and" => new AndNode(left, right, position),
            "or" => new OrNode(left, right, position),
            "&" => new ConcatNode(left, right, position),
            "in" => new InNode(left, right, position),
            ".." => new RangeNode(left, right, position),
            _ => throw Errors.Create("S0204", position, syntax.Operator),
        };
        PushAncestry(result, left);
        PushAncestry(result, right);
        return result;
    }

    private PathNode BuildPath(Syntax syntax)
    {
        var first = Process(syntax.Left!);
        PathNode path;
        if (first is PathNode existing)
        {
            path = existing;
        }
        else
        {
            path = new PathNode(syntax.Position);
            path.Steps.Add(first);
            if (first is ParentNode parentStep)
            {
                path.SeekingParent = [parentStep.Slot];
            }
        }
        var rest = Process(syntax.Right!);
        if (rest is PathNode restPath)
        {
            path.Steps.AddRange(restPath.Steps);
        }
        else
        {
            if (rest.Predicates is not null)
            {
                rest.Stages = rest.Predicates;
                rest.Predicates = null;
            }
            path.Steps.Add(rest);
        }
        var steps = path.Steps;
        for (var i = 0; i < steps.Count; i++)
        {
            switch (steps[i])
            {
                case LiteralNode { Value: string text } stringStep:
                    // A quoted string in a path is a field name: Account."Account Name".
                    var name = new NameNode(text, stringStep.Position);
                    name.CopyDecorationsFrom(stringStep);
                    steps[i] = name;
                    break;
                case LiteralNode literal:
                    throw Errors.Create("S0213", literal.Position, value: literal.Value is null ? "null" : Library.ToJsonataString(literal.Value, false));
            }
        }
        foreach (var step in steps)
        {
            if (step.KeepArray)
            {
                path.KeepSingletonArray = true;
            }
        }
        if (steps[0] is ArrayConstructorNode)
        {
            steps[0].ConsArray = true;
        }
        if (steps[^1] is ArrayConstructorNode)
        {
            steps[^1].ConsArray = true;
        }
        ResolveAncestry(path);
        return path;
    }

    private Node BuildPredicate(Syntax syntax)
    {
        var result = Process(syntax.Left!);
        var step = result;
        var toStages = false;
        if (result is PathNode path)
        {
            step = path.Steps[^1];
            toStages = true;
        }
        if (step.Group is not null)
        {
            throw Errors.Create("S0209", syntax.Position);
        }
        var predicate = Process(syntax.Right!);
        if (predicate.SeekingParent is not null)
        {
            foreach (var slot in predicate.SeekingParent)
            {
                if (slot.Level == 1)
                {
                    SeekParent(step, slot);
                }
                else
                {
                    slot.Level--;
                }
            }
            PushAncestry(step, predicate);
        }
        var stage = new Stage(predicate, null, syntax.Position);
        if (toStages)
        {
            (step.Stages ??= []).Add(stage);
        }
        else
        {
            (step.Predicates ??= []).Add(stage);
        }
        return result;
    }

    private Node BuildGroupBy(Syntax syntax)
    {
        var result = Process(syntax.Left!);
        if (result.Group is not null)
        {
            throw Errors.Create("S0210", syntax.Position);
        }
        var pairs = new (Node, Node)[syntax.Pairs.Count];
        for (var i = 0; i < pairs.Length; i++)
        {
            pairs[i] = (Process(syntax.Pairs[i].Key), Process(syntax.Pairs[i].Value));
        }
        result.Group = new GroupSpec(pairs, syntax.Position);
        return result;
    }

    private PathNode BuildSort(Syntax syntax)
    {
        var result = Process(syntax.Left!);
        var path = result as PathNode ?? WrapInPath(result);
        var terms = new List<(bool, Node)>();
        var sort = new SortNode(terms, syntax.Position);
        foreach (var (descending, expression) in syntax.Terms)
        {
            var term = Process(expression);
            PushAncestry(sort, term);
            terms.Add((descending, term));
        }
        path.Steps.Add(sort);
        ResolveAncestry(path);
        return path;
    }

    private Node BuildFocus(Syntax syntax)
    {
        // Unlike #, JSONata does not make a path of a single step here: on a lone step (such as $@$v) the binding has no effect.
        var result = Process(syntax.Left!);
        var step = result is PathNode path ? path.Steps[^1] : result;
        if (step.Stages is not null || step.Predicates is not null)
        {
            throw Errors.Create("S0215", syntax.Position, "@");
        }
        if (step is SortNode)
        {
            throw Errors.Create("S0216", syntax.Position, "@");
        }
        if (syntax.KeepArray)
        {
            step.KeepArray = true;
            if (result is PathNode keepPath)
            {
                keepPath.KeepSingletonArray = true;
            }
        }
        step.Focus = (string)syntax.Right!.Value!;
        step.Tuple = true;
        return result;
    }

    private Node BuildIndex(Syntax syntax)
    {
        var result = Process(syntax.Left!);
        PathNode path;
        Node step;
        if (result is PathNode existing)
        {
            path = existing;
            step = path.Steps[^1];
        }
        else
        {
            step = result;
            path = WrapInPath(result);
            if (step.Predicates is not null)
            {
                step.Stages = step.Predicates;
                step.Predicates = null;
            }
        }
        var variable = (string)syntax.Right!.Value!;
        if (step.Stages is null)
        {
            step.IndexVariable = variable;
        }
        else
        {
            step.Stages.Add(new Stage(null, variable, syntax.Position));
        }
        step.Tuple = true;
        return path;
    }

    private static PathNode WrapInPath(Node node)
    {
        var path = new PathNode(node.Position);
        path.Steps.Add(node);
        return path;
    }

    private Node BuildCall(Syntax syntax)
    {
        var args = new Node?[syntax.Items.Count];
        for (var i = 0; i < args.Length; i++)
        {
            if (syntax.Items[i].Kind == SyntaxKind.Placeholder)
            {
                continue;
            }
            args[i] = Process(syntax.Items[i]);
        }
        var procedure = Process(syntax.Left!);
        Node call = syntax.Kind == SyntaxKind.Partial
            ? new PartialNode(procedure, args, syntax.Position)
            : new FunctionCallNode(procedure, args!, syntax.Position);
        foreach (var arg in args)
        {
            if (arg is not null)
            {
                PushAncestry(call, arg);
            }
        }
        return call;
    }

    private Node BuildLambda(Syntax syntax)
    {
        var parameters = new string[syntax.Items.Count];
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (string)syntax.Items[i].Value!;
        }
        Signature? signature = null;
        if (syntax.SignatureText is not null)
        {
            try
            {
                signature = Signature.Parse(syntax.SignatureText);
            }
            catch (JsonataException ex)
            {
                ex.Position = syntax.Position;
                throw;
            }
        }
        // A := directly in a lambda body binds in the call's own frame, not in an enclosing block.
        _scopes.Push(null);
        var body = Process(syntax.Right!);
        _scopes.Pop();
        return new LambdaNode(parameters, signature, TailCallOptimize(body), syntax.Position);
    }

    private Node BuildBlock(Syntax syntax)
    {
        var expressions = new Node[syntax.Items.Count];
        var block = new BlockNode(expressions, syntax.Position);
        _scopes.Push(block);
        for (var i = 0; i < expressions.Length; i++)
        {
            var expression = Process(syntax.Items[i]);
            PushAncestry(block, expression);
            if (expression.ConsArray || expression is PathNode { Steps: [{ ConsArray: true }, ..] })
            {
                block.ConsArray = true;
            }
            expressions[i] = expression;
        }
        _scopes.Pop();
        return block;
    }

    /// <summary>
    /// Marks calls in tail position of a lambda body so that recursion runs in the trampoline of
    /// <see cref="Invoker.Apply"/> instead of growing the stack. Nodes whose result is post-processed
    /// (predicates, grouping, []) are not tail positions.
    /// </summary>
    private static Node TailCallOptimize(Node node)
    {
        if (node.Predicates is not null || node.Group is not null || node.KeepArray)
        {
            return node;
        }
        switch (node)
        {
            case FunctionCallNode call:
                call.IsTailCall = true;
                break;
            case ConditionNode condition:
                condition.Then = TailCallOptimize(condition.Then);
                if (condition.Otherwise is not null)
                {
                    condition.Otherwise = TailCallOptimize(condition.Otherwise);
                }
                break;
            case BlockNode { Expressions.Length: > 0 } block:
                block.Expressions[^1] = TailCallOptimize(block.Expressions[^1]);
                break;
        }
        return node;
    }

    private static void PushAncestry(Node result, Node value)
    {
        if (value.SeekingParent is null && value is not ParentNode)
        {
            return;
        }
        var slots = value.SeekingParent is not null ? new List<AncestorSlot>(value.SeekingParent) : [];
        if (value is ParentNode parent)
        {
            slots.Add(parent.Slot);
        }
        if (result.SeekingParent is null)
        {
            result.SeekingParent = slots;
        }
        else
        {
            result.SeekingParent.AddRange(slots);
        }
    }

    private void ResolveAncestry(PathNode path)
    {
        var steps = path.Steps;
        var last = steps[^1];
        var slots = last.SeekingParent is not null ? new List<AncestorSlot>(last.SeekingParent) : [];
        if (last is ParentNode parent)
        {
            slots.Add(parent.Slot);
        }
        foreach (var original in slots)
        {
            var slot = original;
            var index = steps.Count - 2;
            while (slot.Level > 0)
            {
                if (index < 0)
                {
                    (path.SeekingParent ??= []).Add(slot);
                    break;
                }
                var step = steps[index--];
                // Consecutive steps that bind a focus variable do not move the context, so skip them as one.
                while (index >= 0 && step.Focus is not null && steps[index].Focus is not null)
                {
                    step = steps[index--];
                }
                slot = SeekParent(step, slot);
            }
        }
    }

    private AncestorSlot SeekParent(Node node, AncestorSlot slot)
    {
        switch (node)
        {
            case NameNode or WildcardNode:
                slot.Level--;
                if (slot.Level == 0)
                {
                    if (node.Ancestor is null)
                    {
                        node.Ancestor = slot;
                    }
                    else
                    {
                        // Another % already refers to this step: share its label.
                        _ancestry[slot.Index].Slot.Label = node.Ancestor.Label;
                        node.Ancestor = slot;
                    }
                    node.Tuple = true;
                }
                break;
            case ParentNode:
                slot.Level++;
                break;
            case BlockNode block:
                if (block.Expressions.Length > 0)
                {
                    block.Tuple = true;
                    slot = SeekParent(block.Expressions[^1], slot);
                }
                break;
            case PathNode path:
                path.Tuple = true;
                var index = path.Steps.Count - 1;
                slot = SeekParent(path.Steps[index--], slot);
                while (slot.Level > 0 && index >= 0)
                {
                    slot = SeekParent(path.Steps[index--], slot);
                }
                break;
            default:
                throw Errors.Create("S0217", node.Position, node.GetType().Name);
        }
        return slot;
    }
}
