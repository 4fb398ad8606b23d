namespace LogCluster.KafkaCodegen;

/// <summary>One message (a request, a response or a header) as a schema file declares it.</summary>
public sealed record MessageSchema(string Name, short? ApiKey, VersionRange Valid, VersionRange Flexible, StructSchema Body, string Comment);

/// <summary>A structure: the message's top level or a nested one, with its fields in wire order.</summary>
public sealed record StructSchema(string Name, IReadOnlyList<FieldSchema> Fields);

/// <summary>
/// One field. <see cref="Type"/> is a primitive (int8, int16, int32, int64, uint16, uint32, float64, bool, string,
/// bytes, records, uuid), a struct name, or either behind "[]" for an array. A field with a <see cref="Tag"/> is a
/// tagged field (flexible versions only), written only when it differs from its default.
/// <see cref="NeverCompact"/> keeps the classic encoding in flexible versions (the request header's client id).
/// </summary>
public sealed record FieldSchema(
    string Name,
    string Type,
    VersionRange Versions,
    VersionRange Nullable,
    uint? Tag,
    string? Default,
    bool NeverCompact,
    StructSchema? Struct,
    string Comment)
{
    public bool IsArray => Type.StartsWith("[]", StringComparison.Ordinal);

    public string ElementType => IsArray ? Type[2..] : Type;
}
