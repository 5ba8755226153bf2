namespace FlowEngine.Scripting.Jsonata;

/// <summary>A predicate filter or a positional (#) binding attached to a step.</summary>
internal sealed class Stage(Node? filter, string? indexVariable, int position)
{
    public Node? Filter { get; } = filter;

    public string? IndexVariable { get; } = indexVariable;

    public int Position { get; } = position;
}

/// <summary>A slot through which a step publishes its context as the parent (%) of a later step.</summary>
internal sealed class AncestorSlot(string label, int level, int index)
{
    public string Label { get; set; } = label;

    public int Level { get; set; } = level;

    public int Index { get; } = index;
}

/// <summary>
/// An evaluable expression node. Nodes are built once by <see cref="Builder"/> and only read afterwards,
/// so one compiled expression can be evaluated from many threads at once.
/// </summary>
internal abstract class Node(int position)
{
    public int Position { get; } = position;

    /// <summary>Filters applied to this node's whole result (for a node that is not a path step).</summary>
    public List<Stage>? Predicates { get; set; }

    /// <summary>Filters and # bindings applied per input item when this node is a path step.</summary>
    public List<Stage>? Stages { get; set; }

    /// <summary>A grouping object constructor <c>expr{key: value}</c>.</summary>
    public GroupSpec? Group { get; set; }

    /// <summary>The <c>[]</c> suffix: keep a one-item result as an array.</summary>
    public bool KeepArray { get; set; }

    /// <summary><c>@$name</c>: bind each item to a variable instead of moving the context.</summary>
    public string? Focus { get; set; }

    /// <summary><c>#$name</c>: bind each item's position.</summary>
    public string? IndexVariable { get; set; }

    /// <summary>The path must carry variable bindings along (a tuple stream) from this step on.</summary>
    public bool Tuple { get; set; }

    /// <summary>Set when a later % refers to this step's context.</summary>
    public AncestorSlot? Ancestor { get; set; }

    /// <summary>An array constructor at the start or end of a path: its result is not flattened.</summary>
    public bool ConsArray { get; set; }

    /// <summary>Build-time only: % references inside this node still looking for the step they refer to.</summary>
    public List<AncestorSlot>? SeekingParent { get; set; }

    public object? Evaluate(object? input, Frame environment)
    {
        var result = EvaluateCore(input, environment);
        if (Predicates is not null)
        {
            foreach (var predicate in Predicates)
            {
                result = Filters.Apply(predicate.Filter!, result, environment);
            }
        }
        if (Group is not null && this is not PathNode)
        {
            result = Grouping.Evaluate(Group, result, environment);
        }
        if (result is JsonataList { IsSequence: true, IsTupleStream: false } sequence)
        {
            if (KeepArray)
            {
                sequence.KeepSingleton = true;
            }
            if (sequence.Count == 0)
            {
                return Undefined.Value;
            }
            if (sequence.Count == 1 && !sequence.KeepSingleton)
            {
                return sequence[0];
            }
        }
        return result;
    }

    protected abstract object? EvaluateCore(object? input, Frame environment);

    /// <summary>Copies the step decorations when the builder replaces a node (a string literal step becoming a name).</summary>
    public void CopyDecorationsFrom(Node other)
    {
        Predicates = other.Predicates;
        Stages = other.Stages;
        Group = other.Group;
        KeepArray = other.KeepArray;
        Focus = other.Focus;
        IndexVariable = other.IndexVariable;
        Tuple = other.Tuple;
        Ancestor = other.Ancestor;
        ConsArray = other.ConsArray;
        SeekingParent = other.SeekingParent;
    }
}
