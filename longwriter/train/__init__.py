"""Fine-tuning on long-output data with TRL: SFT (token-averaged loss), DPO pairs and DPO.

Needs the ``train`` extra; the heavy libraries are imported inside the functions that use them.
"""
