"""A cooperative's own system writing to SenTrace with its own key (client-held custody).

    SENTRACE_URL=http://127.0.0.1:8000 SENTRACE_API_KEY=stk_… SENTRACE_KEYSTORE=htx-key.json \
    SENTRACE_KEYSTORE_PASSWORD=… python sign_client.py /api/v1/lots/L-1/events '{"type": "note", …}'

The server answers an unsigned write with 428 and a draft: the statements to sign. We check
that each document says what we meant, sign each typed data with our key, send the same request
again with the draft id and the signatures. Needs only ``eth-account`` and ``httpx``.
"""

import json
import os
import sys

import httpx
from eth_account import Account
from eth_account.messages import encode_typed_data


def post_signed(client: httpx.Client, path: str, body: dict, key: bytes) -> httpx.Response:
    answer = client.post(path, json=body)
    if answer.status_code != 428:  # nothing to sign (or refused): that is the answer
        return answer
    draft = answer.json()["draft"]
    signatures = []
    for item in draft["sign"]:
        document = item.get("document", {})  # an event's document: is it what we meant?
        meant = {"type": body.get("type"), **body.get("data", {})}
        said = {"type": document.get("type"), **document.get("data", {})}
        if item["kind"] == "event" and any(v and said.get(k) != v for k, v in meant.items()):
            sys.exit(f"refusing to sign: the server's document says {said}, we meant {meant}")
        signed = Account.sign_message(encode_typed_data(full_message=item["typed_data"]), key)
        signatures.append("0x" + bytes(signed.signature).hex())
    headers = {"X-SenTrace-Draft": draft["id"], "X-SenTrace-Signatures": ",".join(signatures)}
    return client.post(path, json=body, headers=headers)


if __name__ == "__main__":
    with open(os.environ["SENTRACE_KEYSTORE"], encoding="utf-8") as keystore:
        key = Account.decrypt(json.load(keystore), os.environ["SENTRACE_KEYSTORE_PASSWORD"])
    auth = {"Authorization": f"Bearer {os.environ['SENTRACE_API_KEY']}"}
    with httpx.Client(base_url=os.environ["SENTRACE_URL"], headers=auth) as client:
        response = post_signed(client, sys.argv[1], json.loads(sys.argv[2]), key)
    print(response.status_code, response.text)
    sys.exit(0 if response.is_success else 1)
