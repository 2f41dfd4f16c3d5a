"""Live chat over websockets: history on join, presence, and broadcast to everyone."""

from fastapi.testclient import TestClient


def test_messages_are_broadcast_to_every_connection(client: TestClient) -> None:
    with client.websocket_connect("/ws/ann") as ann:
        assert ann.receive_json()["type"] == "history"
        assert ann.receive_json() == {"type": "presence", "online": ["ann"]}

        with client.websocket_connect("/ws/ben") as ben:
            assert ben.receive_json()["type"] == "history"
            assert ben.receive_json() == {"type": "presence", "online": ["ann", "ben"]}
            assert ann.receive_json() == {"type": "presence", "online": ["ann", "ben"]}

            ann.send_text("hello ben :wave:")
            for socket in (ann, ben):
                message = socket.receive_json()
                assert (message["type"], message["user"]) == ("message", "ann")
                assert message["text"] == "hello ben :wave:"

        assert ann.receive_json() == {"type": "presence", "online": ["ann"]}


def test_http_posts_reach_connected_sockets(client: TestClient) -> None:
    with client.websocket_connect("/ws/dora") as dora:
        dora.receive_json()
        dora.receive_json()
        client.post("/messages", json={"user": "eve", "text": "deploy done :tada:"})
        message = dora.receive_json()
        assert (message["user"], message["text"]) == ("eve", "deploy done \U0001f389")


def test_newcomers_get_recent_history(client: TestClient) -> None:
    posted = client.post("/messages", json={"user": "ann", "text": "minutes are in the wiki"})
    with client.websocket_connect("/ws/fred") as fred:
        history = fred.receive_json()
        assert history["type"] == "history"
        assert history["messages"][-1]["id"] == posted.json()["id"]


def test_websocket_refuses_empty_messages(client: TestClient) -> None:
    with client.websocket_connect("/ws/gus") as gus:
        gus.receive_json()
        gus.receive_json()
        gus.send_text("   ")
        assert gus.receive_json()["type"] == "error"
