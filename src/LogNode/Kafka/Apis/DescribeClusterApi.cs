using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Metadata;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// DescribeCluster (key 60), versions 0-1, from this node's metadata as Metadata answers it: the live nodes with a
/// Kafka listener and the active controller. Only brokers are described (endpoint type 1; asking for controllers,
/// type 2, is MISMATCHED_ENDPOINT_TYPE, any other UNSUPPORTED_ENDPOINT_TYPE). The cluster id is <see cref="KafkaClusterId"/>; authorized operations are
/// INT32_MIN (no authorisation yet).
/// </summary>
internal sealed class DescribeClusterApi(IMetadataQuorum quorum, KafkaClusterId clusterId) : IKafkaApi
{
    private const sbyte BrokerEndpoints = 1;
    private const sbyte ControllerEndpoints = 2;
    private const short MismatchedEndpointType = 114;
    private const short UnsupportedEndpointType = 115;

    public short ApiKey => DescribeClusterRequest.ApiKey;

    public short LowestVersion => DescribeClusterRequest.LowestVersion;

    public short HighestVersion => DescribeClusterRequest.HighestVersion;

    public short FlexibleFrom => DescribeClusterRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = DescribeClusterRequest.Read(ref reader, request.Version);
        if (kafka.EndpointType != BrokerEndpoints)
        {
            var error = kafka.EndpointType == ControllerEndpoints ? MismatchedEndpointType : UnsupportedEndpointType;
            return Task.FromResult<IKafkaMessage?>(new DescribeClusterResponse { ErrorCode = error, ErrorMessage = "only brokers (endpoint type 1) are described here", EndpointType = kafka.EndpointType, ClusterId = clusterId.Value });
        }
        var image = quorum.Image;
        return Task.FromResult<IKafkaMessage?>(new DescribeClusterResponse
        {
            ClusterId = clusterId.Value,
            ControllerId = quorum.ControllerId ?? -1,
            Brokers = [.. image.LiveNodes.Where(n => n.KafkaHost.Length > 0).OrderBy(n => n.NodeId)
                .Select(n => new DescribeClusterResponse.DescribeClusterBroker { BrokerId = n.NodeId, Host = n.KafkaHost, Port = n.KafkaPort })],
        });
    }
}
