// gpusearch-bench: benchmark harness. Each benchmark reports ratios against a baseline measured in the same run.
using GpuSearch.Bench;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("""
        usage: gpusearch-bench <benchmark> [options]
          knn  [--n 200000[,1000000]] [--d 512] [--q 64[,1,1024]] [--k 20[,100]] [--metric ip|l2|cos]
               [--dtype fp32|fp16|int8] [--device auto|cpu|opencl:N|cuda:N] [--repeat 3] [--faiss [--faiss-blas DIR]] [--numpy] [--json]
               [--peak-gbs G --peak-gflops F] [--qt N] [--tiles RPW,QT,SEL_WG,GROUPS[,QB]] [--ab]
               exact k-NN vs FAISS IndexFlatIP/IndexFlatL2 in the same run; --faiss-blas DIR adds a second FAISS
               run with DIR's libblas.so.3 (bench/get_openblas.sh unpacks OpenBLAS without installing it); --numpy adds
               numpy's queries @ base.T + partial sort (through DIR's BLAS when given); --ab times the
               device class's shipped scan tiles beside the tuned ones (gpusearch tune) or --tiles, interleaved
          decode [--dir DIR] [--size 224] [--repeat 3] [--device D] [--json]
               JPEG images/s per core (full and DCT-scaled) vs tjbench and PIL on the same files; input pipeline images/s
          embed [--dir DIR] [--model M --spec S] [--batch 32] [--images 256] [--repeat 3] [--device D] [--json]
               decoded images to vectors with the next batch's upload beside compute vs one batch at a time
          preprocess [--device D] [--spec torchvision|FILE] [--size 640x480] [--images 64]
               GPU preprocessing images/s vs the scalar C# reference
          serve --db DB --queries DIR [--cli PATH] [--clients 1,8,64] [--seconds 10] [--k 10] [--device D] [--json]
               HTTP load on a `gpusearch serve` process on loopback: req/s, p50/p95, server CPU-s; micro-batched vs single-request
          ort [--model M] [--name N] [--batch 8[,1,32]] [--repeat 3] [--device cpu] [--ort-threads 0] [--tiles 6x64,6x16]
              [--torch ARCH [--torch-threads 2]] [--input-range LO,HI] [--ort-profile PREFIX] [--ort-keep-spinning] [--json]
               model inference (default ResNet-18) vs ONNX Runtime CPU EP and, with --torch, PyTorch CPU, interleaved:
               img/s, CPU-s/img, cosine vs ORT; default vs tuned tiles, plus one engine row per --tiles CPU register tile
               (rows x pixels); --ort-profile writes ORT's per-node trace (PREFIX_<time>.json); ORT's workers stop spinning
               when its Run returns (--ort-keep-spinning: they spin on into the engine's run); the model's own C×H×W
               input where it names one; bench/models/run.sh runs ViT-B/16 and Swin-T
          ingest [--dir DIR] [--images 256] [--repeat 3] [--warmup 1] [--batch 32] [--device cpu] [--ort-threads 0]
                 [--decode-workers N] [--no-stages] [--json]
               indexing real image files end to end: ImageSearchEngine.AddImagesAsync (default model, fresh index per round)
               vs ImageSharp 2.1.13 decode/resize on all cores + ONNX Runtime 1.31.1 CPU EP, interleaved: img/s, CPU-s/img,
               cosine agreement, and the engine's stages (read+hash, decode, preprocess+upload, forward, store) timed alone
          kernels [--device D] [--json]
               compile every embedded kernel (and the scan's launch variants) for the device; report each build
          whiten [--n 2000] [--d 512] [--device D] [--no-jacobi]
               learning a PCA-whitening: device-GEMM covariance vs host loop, Householder + QL vs cyclic Jacobi
          imagesharp thumbs|png [--dir DIR] [--repeat 5] [--png-from-jpeg]
               ImageSharp 2.1.13 vs ours: thumbnail encoding (PNG/JPEG/WebP bytes, ms); PNG decode libpng vs ImageSharp, inflate alone
        """);
    return 2;
}
try
{
    return args[0] switch
    {
        "knn" => KnnBench.Run(args[1..]),
        "decode" => DecodeBench.Run(args[1..]),
        "preprocess" => PreprocessBench.Run(args[1..]),
        "embed" => EmbedBench.Run(args[1..]),
        "serve" => ServeBench.Run(args[1..]),
        "ort" => OrtBench.Run(args[1..]),
        "imagesharp" => ImageSharpBench.Run(args[1..]),
        "ingest" => IngestBench.Run(args[1..]),
        "kernels" => KernelsBench.Run(args[1..]),
        "whiten" => WhitenBench.Run(args[1..]),
        _ => throw new ArgumentException($"Unknown benchmark '{args[0]}' (available: knn, decode, preprocess, embed, serve, ort, ingest, kernels, whiten, imagesharp)"),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
