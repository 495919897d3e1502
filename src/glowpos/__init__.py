"""GlowPOS: billing and checkout for clinics that sell prepaid treatment packages."""
