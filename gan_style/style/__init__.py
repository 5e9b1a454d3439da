"""Style stage: content + style -> fusion generator (AdaIN on a frozen VGG16 encoder), its trainer,
the evaluation against peer methods, and stylised versions of pictures for QC."""
