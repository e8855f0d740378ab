"""The chat app's pages besides the chat itself (Streamlit views over library calls)."""
