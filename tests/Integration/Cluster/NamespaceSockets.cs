using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LogCluster.Tests.Integration.Cluster;

/// <summary>
/// TCP connections made from inside a network namespace, so this test process can reach hosts that exist only
/// there. A socket belongs to the namespace of the thread that created it, and keeps it wherever it is used
/// afterwards: one dedicated thread enters the namespace (setns) and creates every socket.
/// </summary>
internal sealed partial class NamespaceSockets : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly BlockingCollection<TaskCompletionSource<Socket>> _requests = [];

    public NamespaceSockets(string namespaceName)
    {
        var entered = new TaskCompletionSource();
        var thread = new Thread(() => Serve(namespaceName, entered)) { IsBackground = true, Name = $"sockets in {namespaceName}" };
        thread.Start();
        entered.Task.GetAwaiter().GetResult();
    }

    /// <summary>A handler for gRPC channels whose connections start in the namespace.</summary>
    public SocketsHttpHandler Handler() => new()
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = await CreateAsync();
            try
            {
                socket.NoDelay = true;
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>A socket of the namespace, unconnected (the SDK's own connections take it as their socket factory).</summary>
    public Socket Create() => CreateAsync().GetAwaiter().GetResult();

    private Task<Socket> CreateAsync()
    {
        var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add(request);
        return request.Task;
    }

    private void Serve(string namespaceName, TaskCompletionSource entered)
    {
        try
        {
            using var handle = File.OpenHandle($"/run/netns/{namespaceName}");
            if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            {
                throw new IOException($"setns({namespaceName}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        catch (Exception e)
        {
            entered.SetException(e);
            return;
        }
        entered.SetResult();
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            try
            {
                request.SetResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            }
            catch (SocketException e)
            {
                request.SetException(e);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int nsType);

    public void Dispose() => _requests.CompleteAdding();
}
