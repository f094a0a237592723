"""Claims, their status history, the evidence later articles bring, and follow-ups."""
