namespace LogCluster.Producer;

/// <summary>Where the bytes will go, for serializers that encode keys and values or topics differently.</summary>
/// <param name="Topic">The topic of the record being serialized.</param>
/// <param name="IsKey">True when serializing the key, false for the value.</param>
public readonly record struct SerializationContext(string Topic, bool IsKey);
