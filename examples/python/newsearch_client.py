#!/usr/bin/python3
"""A newsearch client in Python: ingest a page, wait until it is searchable,
search, print the hits with their highlights.

Uses Debian's python3-grpcio (and python3-protobuf) with the stubs the build
generates from proto/ with protoc and grpc_python_plugin into
BUILD/proto/python (README.md here):

    PYTHONPATH=build/proto/python examples/python/newsearch_client.py \\
        --ingest 127.0.0.1:50051 --search 127.0.0.1:50052 PAGE_FILE '乌镇 互联网'

Exit status: 0 with at least one hit, 1 with none, 2 on an error (a gRPC
error prints its status code and message).
"""

import argparse
import datetime
import os
import sys
import time

try:
    import grpc
except ImportError:
    sys.exit("newsearch_client: python3-grpcio is not installed (apt-get install python3-grpcio)")
try:
    from newsearch.v1 import ingest_pb2, ingest_pb2_grpc, search_pb2, search_pb2_grpc
except ImportError as e:
    sys.exit(f"newsearch_client: no generated stubs ({e}); build the project and put "
             "BUILD/proto/python on PYTHONPATH")

CST = datetime.timezone(datetime.timedelta(hours=8))  # China Standard Time


def highlighted(snippet, mark=("【", "】")):
    """snippet.text with every highlight span wrapped in `mark`.

    Spans are [start, end) Unicode code point offsets, which is what Python
    indexes a str by.
    """
    text, out, pos = snippet.text, [], 0
    for h in snippet.highlights:
        out += [text[pos:h.start], mark[0], text[h.start:h.end], mark[1]]
        pos = h.end
    out.append(text[pos:])
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ingest", default="127.0.0.1:50051", help="ingest service host:port")
    parser.add_argument("--search", default="127.0.0.1:50052", help="search service host:port")
    parser.add_argument("--timeout", type=float, default=30,
                        help="seconds to wait until the page is searchable")
    parser.add_argument("file", help="raw page to ingest (text or HTML, any supported charset)")
    parser.add_argument("query", help="query to run once the page is searchable")
    args = parser.parse_args()

    with open(args.file, "rb") as f:
        content = f.read()
    with grpc.insecure_channel(args.ingest) as ingest_channel, \
            grpc.insecure_channel(args.search) as search_channel:
        ingest = ingest_pb2_grpc.IngestServiceStub(ingest_channel)
        search = search_pb2_grpc.SearchServiceStub(search_channel)

        # The external id makes a second run an update of the same article,
        # not a copy.
        response = ingest.IngestArticle(
            ingest_pb2.IngestArticleRequest(content=content,
                                            external_id=os.path.basename(args.file)),
            timeout=30)
        seq = 0
        for a in response.articles:
            print(f"ingested {a.id} seq {a.seq} {ingest_pb2.Outcome.Name(a.outcome)}: {a.title}")
            seq = max(seq, a.seq)

        # Searchable once the replica has committed the article's seq.
        deadline = time.monotonic() + args.timeout
        while True:
            status = search.GetIndexStatus(search_pb2.GetIndexStatusRequest(), timeout=10)
            if status.applied_seq >= seq:
                break
            if time.monotonic() > deadline:
                print(f"newsearch_client: not searchable after {args.timeout:g}s "
                      f"(applied_seq {status.applied_seq} < seq {seq})", file=sys.stderr)
                return 2
            time.sleep(0.05)
        print(f"searchable: applied_seq {status.applied_seq} >= {seq}")

        result = search.Search(search_pb2.SearchRequest(query=args.query, page_size=10),
                               timeout=30)
        print(f"{len(result.hits)} hits (total ~{result.total_estimate}) for {args.query}")
        for hit in result.hits:
            about = [hit.source] if hit.source else []
            if hit.HasField("published_at"):
                published = hit.published_at.ToDatetime(tzinfo=datetime.timezone.utc)
                about.append(published.astimezone(CST).strftime("%Y-%m-%d"))
            about = f" ({' '.join(about)})" if about else ""
            print(f"{hit.rank + 1}. {hit.title}{about} {hit.id}")
            print(f"   {highlighted(hit.snippet)}")
        return 0 if result.hits else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except grpc.RpcError as e:
        print(f"newsearch_client: {e.code().name}: {e.details()}", file=sys.stderr)
        sys.exit(2)
