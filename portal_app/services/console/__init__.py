"""Staff console views that read every domain at once (the work queue); the top service layer."""
