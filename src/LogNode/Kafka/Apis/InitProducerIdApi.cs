using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Producers;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// InitProducerId (key 22), versions 0-5, from the allocator the gRPC InitProducerId uses (<see cref="ProducerIdAllocator"/>):
/// a new id at epoch 0, or (version 3 and up, KIP-360) the given id at the next epoch. Transactional ids are
/// refused with INVALID_REQUEST until transactions are built; an allocation the controller cannot make now is
/// COORDINATOR_LOAD_IN_PROGRESS, which Kafka clients retry (COORDINATOR_NOT_AVAILABLE would send a Java producer
/// looking for a transaction coordinator).
/// </summary>
internal sealed class InitProducerIdApi(ProducerIdAllocator producerIds, ILogger<InitProducerIdApi> logger) : IKafkaApi
{
    private const short CoordinatorLoadInProgress = 14;

    public short ApiKey => InitProducerIdRequest.ApiKey;

    public short LowestVersion => InitProducerIdRequest.LowestVersion;

    public short HighestVersion => InitProducerIdRequest.HighestVersion;

    public short FlexibleFrom => InitProducerIdRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = InitProducerIdRequest.Read(ref reader, request.Version);
        if (kafka.TransactionalId is not null || (kafka.ProducerId < 0) != (kafka.ProducerEpoch < 0))
        {
            return Task.FromResult<IKafkaMessage?>(new InitProducerIdResponse { ErrorCode = KafkaErrors.InvalidRequest, ProducerEpoch = -1 });
        }
        return AllocateAsync(kafka, cancellationToken);
    }

    private async Task<IKafkaMessage?> AllocateAsync(InitProducerIdRequest kafka, CancellationToken cancellationToken)
    {
        try
        {
            var (id, epoch) = kafka.ProducerId < 0
                ? await producerIds.NewProducerAsync(cancellationToken)
                : await producerIds.BumpAsync(kafka.ProducerId, kafka.ProducerEpoch, cancellationToken);
            return new InitProducerIdResponse { ProducerId = id, ProducerEpoch = epoch };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            KafkaLog.ProducerIdUnavailable(logger, e.Message);
            return new InitProducerIdResponse { ErrorCode = CoordinatorLoadInProgress, ProducerEpoch = -1 };
        }
    }
}
