"""The staff admin page (bureau and department staff)."""
