/** Where a gallery image version lives, by the names the task's inputs give. */
export interface GalleryVersionRef {
  resourceGroup: string;
  gallery: string;
  image: string;
  version: string;
}
